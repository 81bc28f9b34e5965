-- The lua workload of bench/run.sh: recursive calls (fib(N)) and table.sort of M integers
-- from a linear congruential generator. Usage: lua5.4 bench.lua N M
local n, m = tonumber(arg[1]), tonumber(arg[2])
if not n or not m then
  io.stderr:write("usage: lua5.4 bench.lua FIB-N SORT-COUNT\n")
  os.exit(2)
end

local function fib(k)
  if k < 2 then return k end
  return fib(k - 1) + fib(k - 2)
end

local t, x = {}, 42
for i = 1, m do
  x = (x * 1103515245 + 12345) % 2147483648
  t[i] = x
end
table.sort(t)
local sorted = true
for i = 2, m do
  if t[i - 1] > t[i] then sorted = false end
end
print(string.format("fib(%d)=%d sort n=%d first=%d median=%d last=%d sorted=%s",
  n, fib(n), m, t[1], t[m // 2 + 1], t[m], tostring(sorted)))
