-- wrk script: the baseline, `/healthz`.
request = function()
  return wrk.format("GET", "/healthz")
end

dofile("scripts/load-report.lua")
