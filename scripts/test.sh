#!/usr/bin/env bash
# Runs every test of the project: installs the reference toolchain (qemu-user, GNU binutils and
# cross compilers, Debian's MIPS programs), builds the C corpus, then the xunit suite, then the KVM
# stage (scripts/test-kvm.sh).
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"
bash scripts/setup-deps.sh
bash scripts/build-test-programs.sh
dotnet format Isa.sln --verify-no-changes
log=$(mktemp)
trap 'rm -f "$log"' EXIT
status=0
dotnet test Isa.sln -c Release --nologo 2>&1 | tee "$log" || status=$?
# One plain closing line for CI: "N passed, N failed, N skipped".
sed -nE 's/^(Passed|Failed|Skipped)! +- Failed: +([0-9]+), Passed: +([0-9]+), Skipped: +([0-9]+).*/\2 \3 \4/p' "$log" \
  | awk '{ f += $1; p += $2; s += $3 } END { printf "%d passed, %d failed, %d skipped\n", p, f, s }'
# The KVM stage (a QEMU VM with nested KVM where /dev/kvm is missing); ISA_TEST_KVM=0 skips it.
if [ "${ISA_TEST_KVM:-1}" != 0 ]; then
  bash scripts/test-kvm.sh || status=1
fi
exit $status
