#!/usr/bin/env bash
# Measures one page three ways on a running bench server (see wrk.sh): its visitor's
# bytes served as a static file, the visitor's page, and a signed-in member's page.
# Usage: app/benchserver/measure.sh PID BASE-URL PATH COOKIE-HEADER
#   (COOKIE-HEADER: the first column of members.sh's output)
# It overwrites the file the server serves as the static page: start the server with
# HAVEN_BENCH_FILE=/tmp/page.html.
set -euo pipefail
pid=$1 base=$2 path=$3 cookie=$4
here=$(dirname "$0")
curl -sf "$base$path" > "${HAVEN_BENCH_FILE:-/tmp/page.html}"
"$here/wrk.sh" "$pid" "$base/static/bench/page.html"
"$here/wrk.sh" "$pid" "$base$path"
"$here/wrk.sh" "$pid" "$base$path" -H "Cookie: $cookie"
