#!/usr/bin/env bash
# Runs wrk against one URL of a running Haven and prints requests/s, p50/p99 latency
# and the server's CPU time per request (from /proc), which, unlike requests/s, does
# not depend on what else the machine is doing.
# Usage: app/benchserver/wrk.sh PID URL [extra wrk args, e.g. -H "Cookie: …"]
set -euo pipefail
pid=$1 url=$2
shift 2
cpu() { awk '{print $14 + $15}' "/proc/$pid/stat"; }
hz=$(getconf CLK_TCK)
c0=$(cpu)
out=$(wrk -t2 -c32 -d10s --latency "$@" "$url")
c1=$(cpu)
rps=$(awk '/Requests\/sec/ {print $2}' <<<"$out")
p50=$(awk '$1 == "50%" {print $2}' <<<"$out")
p99=$(awk '$1 == "99%" {print $2}' <<<"$out")
n=$(awk '/requests in/ {print $1}' <<<"$out")
bad=$(awk '/Non-2xx/ {print $5}' <<<"$out")
rss=$(awk '/VmRSS/ {print $2 " " $3}' "/proc/$pid/status")
us=$(awk -v c="$((c1 - c0))" -v hz="$hz" -v n="$n" 'BEGIN {printf "%.0f", c / hz * 1e6 / n}')
printf '%-40s %9s req/s  p50 %-8s p99 %-8s %6s µs CPU/req  rss %s%s\n' "$url" "$rps" "$p50" "$p99" "$us" "$rss" "${bad:+  non-2xx $bad}"
