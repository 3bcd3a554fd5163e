-- wrk script: one selective product's matches, pages of 50 (product 1 of `pledge gen`, a
-- 知惠贷 of bank001).
local token = os.getenv("PLEDGE_LOAD_TOKEN")
request = function()
  return wrk.format("GET", "/api/v1/products/1/matches?limit=50", {
    ["Authorization"] = "Bearer " .. token,
  })
end

dofile("scripts/load-report.lua")
