-- wrk script for tools/bench-portal.sh. With BENCH_LIST set, each request takes the next path
-- of that file (one per line, each thread starting elsewhere); without it, wrk's one URL.
-- At the end, one line: "result name|requests a second|p50|p95|p99 (ms)|errors".

local paths = {}
local next_path = 0

local list = os.getenv("BENCH_LIST")
if list and list ~= "" then
  for line in io.lines(list) do
    if line ~= "" and line:sub(1, 1) ~= "#" then
      paths[#paths + 1] = line
    end
  end
end

local thread_count = 0
function setup(thread)
  thread_count = thread_count + 1
  thread:set("next_path", thread_count * 7919)
end

if #paths > 0 then
  request = function()
    next_path = next_path % #paths + 1
    return wrk.format("GET", paths[next_path])
  end
end

function done(summary, latency, requests)
  local e = summary.errors
  local errors = e.connect + e.read + e.write + e.status + e.timeout
  io.write(string.format("result %-36s|%9.0f |%7.2f ms|%7.2f ms|%7.2f ms|%7d\n",
    os.getenv("BENCH_NAME") or "", summary.requests / (summary.duration / 1e6),
    latency:percentile(50) / 1000, latency:percentile(95) / 1000,
    latency:percentile(99) / 1000, errors))
end
