#!/usr/bin/env bash
# Interpreter speed on CPU-bound guest work, in one go: busybox sha256sum of a 32 MB file and a
# lua5.4 script, natively (x86-64 busybox / host lua if present), under qemu-mipsel and under
# `isa run --engine interp`. Prints seconds, time ratios and guest instructions per second.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"
sysroot=$root/.deps/sysroot-mipsel
[ -x "$sysroot/bin/busybox" ] || { echo "run bash scripts/setup-deps.sh first" >&2; exit 2; }
dotnet build src/Cli -c Release --nologo -v q >/dev/null
isa="dotnet $root/src/Cli/bin/Release/net10.0/isa.dll"
work=$(mktemp -d); trap 'rm -rf "$work"' EXIT
head -c $((32 << 20)) /dev/urandom > "$work/data"
cat > "$work/bench.lua" <<'LUA'
local function fib(n) if n < 2 then return n end return fib(n - 1) + fib(n - 2) end
local t = {} for i = 1, 200000 do t[i] = (i * 7919) % 100003 end
table.sort(t)
print(fib(25), t[1], t[#t])
LUA
seconds() { local s=$(date +%s.%N); "$@" >/dev/null 2>"$work/err"; awk -v a="$s" -v b="$(date +%s.%N)" 'BEGIN { printf "%.2f", b - a }'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.2f", a / b; else printf "-" }'; }
row() { # name, native command or "", guest args
  local name=$1 native=$2; shift 2
  local tn=- tq ti mips
  [ -n "$native" ] && tn=$(seconds bash -c "$native")
  tq=$(seconds qemu-mipsel -L "$sysroot" "$@")
  ti=$(seconds $isa run --stats --sysroot "$sysroot" "$@")
  mips=$(sed -nE 's/.*\(([0-9.]+) million\/s.*/\1/p' "$work/err")
  printf '%-22s %8s %8s %8s %10s %12s %10s\n' "$name" "$tn" "$tq" "$ti" "$(ratio "$ti" "$tq")" \
    "$( [ "$tn" != - ] && ratio "$ti" "$tn" || echo -)" "$mips"
}
printf '%-22s %8s %8s %8s %10s %12s %10s\n' workload native qemu isa isa/qemu isa/native "Minsn/s"
native_bb=$(command -v busybox || true)
row "sha256sum 32 MB" "${native_bb:+$native_bb sha256sum $work/data}" "$sysroot/bin/busybox" sha256sum "$work/data"
native_lua=$(command -v lua5.4 || true)
row "lua fib(25)+sort 200k" "${native_lua:+$native_lua $work/bench.lua}" "$sysroot/usr/bin/lua5.4" "$work/bench.lua"
