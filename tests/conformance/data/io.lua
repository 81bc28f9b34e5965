-- io: reading a data file by lines, numbers and whole; writing, seeking and reading back a file
local data = arg[1] or "."
local n, longest = 0, ""
for line in io.lines(data .. "/words.txt") do
  n = n + 1
  if #line > #longest then longest = line end
end
print(n, longest)
local f = assert(io.open(data .. "/numbers.txt", "r"))
local total = 0
while true do
  local x = f:read("n")
  if not x then break end
  total = total + x
end
f:close()
print("sum", total)
local path = os.tmpname()
local out = assert(io.open(path, "w"))
out:write("line one\n", 42, "\n", 3.5, "\n")
out:close()
local back = assert(io.open(path, "r"))
print(back:read("l"), back:read("n"), back:read("n"))
print(back:seek("set", 5), back:read(3), back:seek("end"))
back:close()
local all = assert(io.open(path, "rb")):read("a")
print(#all, (all:gsub("\n", "|")))
print(os.remove(path), io.open(path) == nil, io.type(back), io.type(io.stdout))
io.write(string.format("%s %d\n", "written by io.write", 7))
io.stdout:write("and by io.stdout:write\n")
