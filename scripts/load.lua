-- wrk script: a bank's match queries, rotating over its products (ids 1, 11, 21, … of a
-- data set from `pledge gen --products 100`: bank001 owns every tenth product).
local token = os.getenv("PLEDGE_LOAD_TOKEN")
local n = 0
request = function()
  n = n + 1
  local id = 1 + 10 * (n % 10)
  return wrk.format("GET", "/api/v1/products/" .. id .. "/matches?limit=50", {
    ["Authorization"] = "Bearer " .. token,
  })
end

done = function(summary, latency, requests)
  io.write(string.format("requests %d, errors: connect %d read %d write %d status %d timeout %d\n",
    summary.requests, summary.errors.connect, summary.errors.read, summary.errors.write,
    summary.errors.status, summary.errors.timeout))
  io.write(string.format("p50 %.2f ms, p99 %.2f ms\n",
    latency:percentile(50) / 1000, latency:percentile(99) / 1000))
end
