#!/usr/bin/env bash
# The KVM stage: the JIT's code inside KVM vCPUs, tested where /dev/kvm works. This machine has
# none, so everything runs in a QEMU VM with nested KVM (scripts/kvm-vm.sh): the KVM tests
# (tests/Isa.Vcpu.Tests, run as an executable; -failSkips: inside the VM none may skip) and the
# conformance smoke set (scripts/kvm-smoke.sh). Expects scripts/test.sh to have built everything
# (or builds what it needs). A few minutes: .NET runs ~50x slower under the emulation.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"
# The NativeAOT CLI (scripts/build-cli.sh, into this tree): start-up dominates each run under emulation.
ISA_CLI_DIR=src/Cli/bin/kvm-stage bash scripts/build-cli.sh
dotnet build tests/Isa.Vcpu.Tests -c Release --nologo -v q >/dev/null
vm=(bash scripts/kvm-vm.sh --timeout 1200 --)
if [ -e /dev/kvm ]; then vm=(); fi # a machine with KVM runs the stage directly
"${vm[@]}" bash -c 'dotnet exec tests/Isa.Vcpu.Tests/bin/Release/net10.0/Isa.Vcpu.Tests.dll -noColor -failSkips && ISA_CLI=src/Cli/bin/kvm-stage/isa bash scripts/kvm-smoke.sh'
echo "kvm stage passed"
