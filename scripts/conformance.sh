#!/usr/bin/env bash
# Runs the guest command corpus (tests/conformance/commands.txt and the C programs) under
# `isa run` and under qemu-mipsel (or, for a program marked "reference: native", against its native
# x86-64 run), and prints one line per command with any difference.
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
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
check() { # label, isa command, reference command: stdout byte for byte (gzip and tar write binary) and status
  local sa sb
  (cd "$DATA" && eval "$2") </dev/null >"$tmp/ours" 2>/dev/null; sa=$?
  (cd "$DATA" && eval "$3") </dev/null >"$tmp/reference" 2>/dev/null; sb=$?
  if cmp -s "$tmp/ours" "$tmp/reference" && [ $sa == $sb ]; then pass=$((pass+1)); echo "same  $1"; else fail=$((fail+1)); echo "DIFF  $1 (status $sa vs reference $sb)"; fi
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
  case "$p" in *.stdout|*.exit|*.stderr|*.tmp) continue;; esac
  name=$(basename "$p")
  [ -f "tests/programs/$name.c" ] || continue
  q=qemu-mipsel; case "$p" in */mips-O2/*) q=qemu-mips;; esac
  reference="$q -L /usr/mipsel-linux-gnu $root/$p"
  # where qemu-user differs from a real kernel, the native x86-64 run is the reference
  if grep -q 'reference: native' "tests/programs/$name.c"; then
    reference="cat $root/.deps/programs/x86_64-O2/$name.stdout; exit \$(cat $root/.deps/programs/x86_64-O2/$name.exit)"
  fi
  check "$p" "$isa run --sysroot /usr/mipsel-linux-gnu $root/$p" "$reference"
done
echo "$pass passed, $fail failed"
[ $fail == 0 ]
