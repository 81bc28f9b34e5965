-- string library: find/match/gsub with patterns and captures, format, byte/char, rep, reverse
local s = "The quick brown fox jumps over the lazy dog"
print(#s, s:upper(), s:lower():sub(5, 9))
print(s:find("fox"), s:find("o", 20, true), s:match("(%a+) (%a+)$"))
print((s:gsub("%w+", function(w) return w:sub(1, 1):upper() .. w:sub(2):lower() end)))
print(s:gsub("o", "0", 2))
local counts = {}
for ch in s:lower():gmatch("%a") do counts[ch] = (counts[ch] or 0) + 1 end
local letters = {}
for ch, n in pairs(counts) do if n > 2 then letters[#letters + 1] = ch .. n end end
table.sort(letters)
print(table.concat(letters, " "))
print(string.format("[%5d|%-5s|%05.1f|%x|%X|%o|%e|%g|%q]", 42, "ab", 3.14159, 255, 255, 8, 12345.678, 0.0001, "a\nb\"c"))
print(string.byte("ABC", 1, -1), string.char(72, 105), ("ab"):rep(3, "-"), ("stressed"):reverse())
print(("key=value; other = thing"):match("(%w+)%s*=%s*(%w+)"), ("2024-02-29"):match("(%d+)-(%d+)-(%d+)"))
print(tostring(1e15), tostring(2^53), tostring(-0.0), 10 // 3, 10.0 / 4, 7 % -3, -7 // 2, 3 | 5, 6 ~ 3, 1 << 10)
print(utf8.char(72, 228, 8364, 128512), utf8.len("häl€"), #"häl€")
for k, v in string.gmatch("a=1, b=22, c=333", "(%w+)=(%w+)") do io.write(k, ":", v, " ") end
print()
