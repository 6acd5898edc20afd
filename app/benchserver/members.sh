#!/usr/bin/env bash
# Signs in N local-mode members (bench1…benchN) on a running Haven, joins each to
# the group SLUG, and prints one line per member for post.lua and wrk -H:
#   COOKIE-HEADER<TAB>CSRF-TOKEN
# Usage: app/benchserver/members.sh http://127.0.0.1:18080 SLUG N > /tmp/members.tsv
set -euo pipefail
base=$1 slug=$2 n=${3:-32}
jar=$(mktemp)
trap 'rm -f "$jar"' EXIT
for i in $(seq 1 "$n"); do
  rm -f "$jar"
  curl -sf -c "$jar" -b "$jar" -o /dev/null "$base/signin"
  tok=$(sed 's/^#HttpOnly_//' "$jar" | awk '$6 == "_csrf" {print $7}')
  csrf=$(curl -sf -c "$jar" -b "$jar" -H 'Accept: application/json' -H "X-CSRF-Token: $tok" \
    -d "name=bench$i&role=member" "$base/auth/local" | sed -n 's/.*"csrf_token":"\([^"]*\)".*/\1/p')
  curl -sf -c "$jar" -b "$jar" -o /dev/null -H 'Accept: application/json' -H "X-CSRF-Token: $csrf" \
    -d 'accept_rules=true' "$base/groups/$slug/join" || true
  cookie=$(sed 's/^#HttpOnly_//' "$jar" | awk '!/^#/ && NF >= 7 {printf "%s=%s; ", $6, $7}')
  printf '%s\t%s\n' "$cookie" "$csrf"
done
