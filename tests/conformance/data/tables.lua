-- tables: arrays and maps, insert/remove/move/unpack, sort with comparators, metatables, __index inheritance
local t = {}
for i = 1, 10 do table.insert(t, i * i) end
table.insert(t, 1, 0)
print(#t, table.remove(t), table.remove(t, 1), table.concat(t, ","))
print(table.unpack(table.move({1, 2, 3, 4, 5}, 2, 4, 1)))
local people = {{name = "ann", age = 31}, {name = "bob", age = 25}, {name = "cy", age = 31}, {name = "dee", age = 19}}
table.sort(people, function(a, b) if a.age ~= b.age then return a.age > b.age end return a.name < b.name end)
for _, p in ipairs(people) do io.write(p.name, "(", p.age, ") ") end
print()
local Vec = {}
Vec.__index = Vec
function Vec.new(x, y) return setmetatable({x = x, y = y}, Vec) end
function Vec.__add(a, b) return Vec.new(a.x + b.x, a.y + b.y) end
function Vec.__eq(a, b) return a.x == b.x and a.y == b.y end
function Vec.__tostring(v) return "(" .. v.x .. ", " .. v.y .. ")" end
function Vec.__len(v) return math.sqrt(v.x * v.x + v.y * v.y) end
function Vec:scale(k) return Vec.new(self.x * k, self.y * k) end
local a, b = Vec.new(3, 4), Vec.new(1, 2)
print(tostring(a + b), #a, a == Vec.new(3, 4), tostring(b:scale(10)))
local defaults = setmetatable({}, {__index = function(_, k) return "default-" .. k end})
print(defaults.color, rawget(defaults, "color"))
local keys = {}
for k in pairs({z = 1, a = 2, m = 3, [1] = 4, [2] = 5}) do keys[#keys + 1] = tostring(k) end
table.sort(keys)
print(table.concat(keys, " "), select("#", 1, nil, 3), select(-1, "x", "y"))
local big = {}
for i = 1, 100000 do big[i] = i % 7 end
local sum = 0
for _, v in ipairs(big) do sum = sum + v end
print(sum, #big, next({}))
