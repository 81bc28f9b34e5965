-- closures and upvalues: counters, shared upvalues, memoization, varargs, recursion, tail calls
local function make_counter(step)
  local n = 0
  return function() n = n + step return n end, function() n = 0 end
end
local inc, reset = make_counter(5)
inc(); inc()
print(inc())
reset()
print(inc())
local fns = {}
for i = 1, 3 do fns[i] = function() return i * 10 end end
print(fns[1](), fns[2](), fns[3]())
local function memoize(f)
  local cache, calls = {}, 0
  return function(n)
    if cache[n] == nil then calls = calls + 1 cache[n] = f(n) end
    return cache[n]
  end, function() return calls end
end
local fib
local calls
fib, calls = memoize(function(n) if n < 2 then return n end return fib(n - 1) + fib(n - 2) end)
print(fib(80), calls())
local function sum(...)
  local total = 0
  for _, v in ipairs({...}) do total = total + v end
  return total, select("#", ...)
end
print(sum(1, 2, 3, 4.5))
local function loop(n, acc) if n == 0 then return acc end return loop(n - 1, acc + n) end
print(loop(1000000, 0))
local compose = function(f, g) return function(...) return f(g(...)) end end
print(compose(string.upper, string.reverse)("closure"))
