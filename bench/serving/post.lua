-- wrk script for bench/serving.sh: POSTs one JSON body to every request and counts the
-- answers that are not 200, per thread, summed in done(). done() also prints the numbers
-- the script parses, in plain units (wrk's own report rounds and scales them).
--
--   BODY_FILE=bench/serving/example.json wrk -t2 -c16 -d10s --latency -s post.lua URL

local path = os.getenv("BODY_FILE") or "example.json"
local f = assert(io.open(path, "rb"), "cannot read BODY_FILE " .. path)
local body = f:read("*a"):gsub("%s+$", "")
f:close()

wrk.method = "POST"
wrk.body = body
wrk.headers["Content-Type"] = "application/json"
local token = os.getenv("AUTH_TOKEN")  -- bench/serving_tls.sh: a bearer token to send
if token and token ~= "" then wrk.headers["Authorization"] = "Bearer " .. token end

local threads = {}

function setup(thread)
  table.insert(threads, thread)
end

function init(args)
  non200 = 0
  first_bad = ""
end

function response(status, headers, body)
  if status ~= 200 then
    non200 = non200 + 1
    if first_bad == "" then
      first_bad = status .. " " .. string.sub(body or "", 1, 200)
    end
  end
end

function done(summary, latency, requests)
  local bad, example = 0, ""
  for _, t in ipairs(threads) do
    bad = bad + t:get("non200")
    local b = t:get("first_bad")
    if example == "" and b ~= nil then example = b end
  end
  local e = summary.errors
  io.write(string.format("BENCH requests %d\n", summary.requests))
  io.write(string.format("BENCH duration_us %d\n", summary.duration))
  io.write(string.format("BENCH p50_us %d\n", latency:percentile(50)))
  io.write(string.format("BENCH p99_us %d\n", latency:percentile(99)))
  io.write(string.format("BENCH non200 %d\n", bad))
  io.write(string.format("BENCH socket_errors %d\n", e.connect + e.read + e.write))
  io.write(string.format("BENCH timeouts %d\n", e.timeout))
  io.write(string.format("BENCH first_bad %s\n", (example:gsub("\n", " "))))
end
