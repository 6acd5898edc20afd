-- wrk script: every request is a new reply (Markdown, detectors, counters, search
-- index, notifications) by one of many members, to one of several threads.
--   MEMBERS=/tmp/members.tsv THREADS=12,15,20 \
--     wrk -t2 -c32 -d10s -s app/benchserver/post.lua http://127.0.0.1:18080
-- MEMBERS holds "COOKIE-HEADER<TAB>CSRF" lines (see app/benchserver/members.sh).
local members, threads = {}, {}
local n = 0

function init(args)
  for line in io.lines(os.getenv("MEMBERS")) do
    local cookie, csrf = line:match("^(.-)\t(.*)$")
    if cookie then members[#members + 1] = {cookie = cookie, csrf = csrf} end
  end
  for id in string.gmatch(os.getenv("THREADS") or "1", "%d+") do threads[#threads + 1] = id end
  n = math.random(1, 1000000)
end

function request()
  n = n + 1
  local m = members[(n % #members) + 1]
  local t = threads[(n % #threads) + 1]
  local body = "body=Reply+" .. n .. "%3A+**pacing**+helped+me%2C+and+a+*diary*+of+sleep.%0A%0A-+rest+early%0A-+one+task+a+day"
  return wrk.format("POST", "/threads/" .. t .. "/posts", {
    ["Cookie"] = m.cookie,
    ["X-CSRF-Token"] = m.csrf,
    ["Accept"] = "application/json",
    ["Content-Type"] = "application/x-www-form-urlencoded",
  }, body)
end

local statuses = {}
function response(status, headers, body)
  statuses[status] = (statuses[status] or 0) + 1
  if status ~= 201 and body:find("locked") then io.stderr:write("database is locked\n") end
end

function done(summary, latency, requests)
  io.write(string.format("posts/s: %.0f  errors: %d non-2xx+socket\n",
    summary.requests / (summary.duration / 1e6),
    summary.errors.status + summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout))
end
