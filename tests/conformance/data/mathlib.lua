-- math: integer and float arithmetic, conversions, rounding, trigonometry, limits, a deterministic PRNG
print(math.maxinteger, math.mininteger, math.maxinteger + 1 == math.mininteger, math.huge, -math.huge)
print(7 // 2, 7.0 // 2, -7 // 2, 7 % 3, -7 % 3, 7.5 % 2, 2^10, 10 / 4)
print(math.floor(3.7), math.ceil(3.2), math.floor(-3.5), math.fmod(7, 3), math.fmod(-7, 3), math.abs(-4))
print(math.tointeger(3.0), math.tointeger(3.5), math.type(1), math.type(1.0), math.type("1"))
print(string.format("%.6f %.6f %.6f %.6f", math.sin(0.5), math.cos(0.5), math.tan(0.5), math.atan(1, 2)))
print(string.format("%.6f %.6f %.6f %.6f", math.exp(1), math.log(10), math.log(8, 2), math.sqrt(2)))
print(math.ult(1, -1), 5 // 0.0, -5 // 0.0, 0/0 ~= 0/0, math.pi - math.pi % 0.001)
print(tonumber("0x1F"), tonumber("  12  "), tonumber("1e3"), tonumber("z", 36), tonumber("nope"), 255 // 1 | 0)
local seed = 12345
local function rand() seed = (seed * 1103515245 + 12345) % 2147483648 return seed end
local hist = {0, 0, 0, 0}
for _ = 1, 10000 do local r = rand() % 4 + 1 hist[r] = hist[r] + 1 end
print(table.concat(hist, " "))
local primes = {}
for n = 2, 100 do
  local prime = true
  for d = 2, math.floor(math.sqrt(n)) do if n % d == 0 then prime = false break end end
  if prime then primes[#primes + 1] = n end
end
print(#primes, primes[#primes], 0x7fffffff * 3, 1 / 3)
