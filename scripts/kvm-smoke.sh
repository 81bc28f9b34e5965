#!/usr/bin/env bash
# The KVM smoke set of the Linux conformance corpus, run where /dev/kvm works (in CI: inside
# scripts/kvm-vm.sh): C programs of tests/programs under `isa run --engine kvm` against the stdout
# and exit status qemu-mipsel gave (recorded next to each binary by build-test-programs.sh), and
# busybox and lua commands against qemu-mipsel run here. Covers native floating point (floats),
# guest faults (segfault), several vCPUs (threads), fork and pipelines (each child is a new `isa`
# with its own VM), signals and their handlers, both byte orders, dynamic busybox and lua.
# Small on purpose: everything is ~50x slower under emulation. Exits 1 if any differs.
set -uo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"
engine=${ISA_SMOKE_ENGINE:-kvm} # jit: the same checks in process, to try the script itself
# ISA_CLI: the isa command to run (scripts/test-kvm.sh passes the NativeAOT build: start-up is most of each run under emulation)
read -r -a isa <<<"${ISA_CLI:-dotnet src/Cli/bin/Release/net10.0/isa.dll}"
isa+=(run --engine "$engine")
sysroot=.deps/sysroot-mipsel
export BB=$sysroot/bin/busybox LUA=$sysroot/usr/bin/lua5.4 DATA=tests/conformance/data
[ "$engine" != kvm ] || [ -e /dev/kvm ] || { echo "kvm-smoke: no /dev/kvm here (run it through scripts/kvm-vm.sh)" >&2; exit 2; }

failed=0
check() { # name, expected stdout file, expected status, actual stdout file, actual status
  if [ "$3" = "$5" ] && cmp -s "$2" "$4"; then
    echo "PASS $1"
  else
    echo "FAIL $1 (status $5, expected $3)"
    diff "$2" "$4" | head -20
    failed=1
  fi
}

out=$(mktemp)
trap 'rm -f "$out" "$out.ref"' EXIT
for program in mipsel-O2/hello mipsel-O2/floats mipsel-O2/segfault mipsel-O2/threads mipsel-O2/fork mipsel-O2/signals \
    mipsel-O2/threadsignals mipsel-O0/crc32 mipsel-O2/statemachine mips-O2/sha256; do
  bin=.deps/programs/$program
  "${isa[@]}" "$bin" > "$out" 2>/dev/null
  status=$?
  check "$program" "$bin.stdout" "$(cat "$bin.exit")" "$out" "$status"
done

while IFS= read -r command; do
  (eval "qemu-mipsel -L $sysroot $command") > "$out.ref" 2>/dev/null
  expected=$?
  (eval "${isa[*]} --sysroot $sysroot $command") > "$out" 2>/dev/null
  status=$?
  check "$command" "$out.ref" "$expected" "$out" "$status"
done <<'COMMANDS'
$BB sh -c 'i=0; while [ $i -lt 5 ]; do i=$((i+1)); echo "line $i"; done'
$BB sort -n -r $DATA/numbers.txt
$BB gzip -d -c $DATA/words.txt.gz
$BB sh -c 'seq 100 | sort -r | head -5'
$BB sh -c 'x=$(echo sub | tr a-z A-Z); n=$(seq 7 | wc -l); echo "got $x $n"'
$BB sh -c 'trap "echo got TERM" TERM; kill -TERM $$; echo after TERM'
$LUA $DATA/closures.lua
COMMANDS
exit $failed
