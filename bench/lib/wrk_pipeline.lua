-- wrk script for bench/run: N requests per write (pipelined; N from `-- N`, default 16), as
-- wrk's own scripts/pipeline.lua does, plus wrk_report.lua's machine-readable line.
local here = debug.getinfo(1, "S").source:sub(2):match("(.*/)") or "./"
dofile(here .. "wrk_report.lua")

local batch

function init(args)
   local depth = tonumber(args[1]) or 16
   local r = {}
   for i = 1, depth do r[i] = wrk.format(nil) end
   batch = table.concat(r)
end

function request()
   return batch
end
