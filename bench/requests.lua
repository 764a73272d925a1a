-- wrk script: cycle through pre-authenticated requests read from a file.
-- Each line of the file: METHOD <TAB> PATH <TAB> COOKIE <TAB> CSRF <TAB> BODY
-- (BODY is JSON or empty). Set BENCH_REQUESTS to the file's path.
local requests = {}
local counter = 0

function init(args)
  local file = assert(io.open(os.getenv("BENCH_REQUESTS"), "r"))
  for line in file:lines() do
    local method, path, cookie, csrf, body = line:match("^([^\t]*)\t([^\t]*)\t([^\t]*)\t([^\t]*)\t(.*)$")
    local headers = { ["Cookie"] = cookie, ["Host"] = "127.0.0.1" }
    if csrf ~= "" then headers["X-CSRFToken"] = csrf end
    if body ~= "" then headers["Content-Type"] = "application/json" else body = nil end
    table.insert(requests, wrk.format(method, path, headers, body))
  end
  file:close()
  -- start each thread at a different place so threads don't walk in lock-step
  counter = math.random(#requests)
end

function request()
  counter = counter % #requests + 1
  return requests[counter]
end

function done(summary, latency, requests)
  io.write(string.format("BENCH-JSON {\"requests\": %d, \"errors_status\": %d, \"errors_connect\": %d, \"errors_timeout\": %d, \"duration_us\": %d, \"p50_us\": %d, \"p99_us\": %d, \"min_us\": %d}\n",
    summary.requests, summary.errors.status, summary.errors.connect, summary.errors.timeout,
    summary.duration, latency:percentile(50), latency:percentile(99), latency.min))
end
