-- coroutines: generators, two-way resume/yield values, status, wrap, errors inside, a producer/consumer
local function range(n) return coroutine.wrap(function() for i = 1, n do coroutine.yield(i) end end) end
local acc = {}
for v in range(5) do acc[#acc + 1] = v * v end
print(table.concat(acc, " "))
local co = coroutine.create(function(a, b)
  print("start", a, b)
  local c = coroutine.yield(a + b)
  print("got", c)
  local d, e = coroutine.yield(c * 2)
  return d + e
end)
print(coroutine.resume(co, 1, 2))
print(coroutine.status(co), coroutine.resume(co, 10))
print(coroutine.resume(co, 3, 4))
print(coroutine.status(co), coroutine.resume(co))
local bad = coroutine.create(function() error("inside") end)
print(coroutine.resume(bad))
local function producer()
  return coroutine.create(function()
    for _, w in ipairs({"alpha", "beta", "gamma", "delta"}) do coroutine.yield(w) end
  end)
end
local function filter(src)
  return coroutine.create(function()
    while true do
      local ok, w = coroutine.resume(src)
      if not w then return end
      if #w > 4 then coroutine.yield(w:upper()) end
    end
  end)
end
local f = filter(producer())
while true do
  local _, w = coroutine.resume(f)
  if not w then break end
  io.write(w, " ")
end
print()
print(coroutine.isyieldable(), select(2, coroutine.running()))
