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

dofile("scripts/load-report.lua")
