-- errors: pcall/xpcall, error values and levels, assert, runtime errors, error objects with metatables, close
print(pcall(error, "plain", 0))
print(pcall(function() local t = nil return t.x end))
print(pcall(function() return 1 + {} end))
print(pcall(function() return #nil end))
print(select("#", pcall(error)))
local ok, err = pcall(function() error({code = 7, msg = "custom"}) end)
print(ok, type(err), err.code, err.msg)
print(xpcall(function() error("deep", 1) end, function(m) return "handled: " .. m end))
print(pcall(assert, false, "assertion text"))
print(pcall(assert, 1 == 1, "unused"))
local E = setmetatable({}, {__tostring = function() return "E-object" end})
print(pcall(error, E))
print(tostring(select(2, pcall(error, E))))
local function level2() error("from level2", 2) end
local function caller() level2() end
print(pcall(caller))
print(pcall(string.rep))
print(pcall(string.format, "%d", "x"))
do
  local closed = {}
  local ok2 = pcall(function()
    local res <close> = setmetatable({}, {__close = function(_, e) closed[#closed + 1] = tostring(e) end})
    error("with close", 0)
  end)
  print(ok2, closed[1])
end
print(string.format("%s", select(2, pcall(function() return math.floor("x") end))))
error("uncaught at the end")
