#!/usr/bin/env bash
# Runs the guest command corpus (tests/conformance/commands.txt and the C programs) under
# `isa run` and under qemu-mipsel, and prints one line per command with any difference.
# Lines marked @exec exec guest programs, which qemu-user cannot do without binfmt_misc: their
# reference is Debian's x86-64 busybox (and x86-64 lua5.4) running the same command.
set -uo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"
dotnet build src/Cli -c Release --nologo -v q >/dev/null || exit 2
isa="dotnet $root/src/Cli/bin/Release/net10.0/isa.dll"
export BB=$root/.deps/sysroot-mipsel/bin/busybox LUA=$root/.deps/sysroot-mipsel/usr/bin/lua5.4 DATA=$root/tests/conformance/data
[ -x "$BB" ] || { echo "missing $BB: run bash scripts/setup-deps.sh" >&2; exit 2; }
pass=0 fail=0
check() { # label, isa command, qemu command
  local a b sa sb
  a=$(cd "$DATA" && eval "$2" </dev/null 2>/dev/null); sa=$?
  b=$(cd "$DATA" && eval "$3" </dev/null 2>/dev/null); sb=$?
  if [ "$a" == "$b" ] && [ $sa == $sb ]; then pass=$((pass+1)); echo "same  $1"; else fail=$((fail+1)); echo "DIFF  $1 (status $sa vs qemu $sb)"; fi
}
while IFS= read -r line; do
  case "$line" in ''|'#'*) continue;; esac
  if [[ $line == "@exec "* ]]; then
    line=${line#@exec }
    check "$line" "$isa run --sysroot $root/.deps/sysroot-mipsel $line" "BB=$root/.deps/busybox-amd64/bin/busybox LUA=/usr/bin/lua5.4; $line"
    continue
  fi
  check "$line" "$isa run --sysroot $root/.deps/sysroot-mipsel $line" "qemu-mipsel -L $root/.deps/sysroot-mipsel $line"
done < tests/conformance/commands.txt
for p in .deps/programs/mipsel-O0/* .deps/programs/mipsel-O2/* .deps/programs/mips-O2/* .deps/programs/mipsel-O2-dyn/*; do
  case "$p" in *.stdout|*.exit|*.stderr) continue;; esac
  q=qemu-mipsel; case "$p" in */mips-O2/*) q=qemu-mips;; esac
  check "$p" "$isa run --sysroot /usr/mipsel-linux-gnu $root/$p" "$q -L /usr/mipsel-linux-gnu $root/$p"
done
echo "$pass passed, $fail failed"
[ $fail == 0 ]
