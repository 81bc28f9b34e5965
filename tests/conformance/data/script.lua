-- strings, tables, closures, coroutines, math, errors
local function counter() local n = 0 return function() n = n + 1 return n end end
local c = counter(); c(); c()
local t = {} for i = 1, 100 do t[#t + 1] = (i * 37) % 101 end
table.sort(t, function(a, b) return a > b end)
local words = {} for w in ("the quick brown fox"):gmatch("%a+") do words[#words + 1] = w:upper() end
local gen = coroutine.wrap(function() for i = 1, 3 do coroutine.yield(i * i) end end)
print(c(), t[1], t[100], table.concat(words, ","), gen(), gen(), gen())
print(math.floor(math.pi * 1000), math.max(3, 9, 1), string.format("%.4f", math.sin(1)))
print(pcall(function() error({code = 42}) end), select(2, pcall(error, "oops", 0)))
