#!/usr/bin/env bash
# Builds the `isa` command for running guests: a NativeAOT publish (src/Cli sets PublishAot), one
# native executable with no .NET runtime start or JIT compilation, which matters because every guest
# fork and execve starts a new emulator. Into .deps/isa/isa (ISA_CLI_DIR=DIR: into DIR/isa instead).
# Needs a C toolchain as the native linker (gcc or clang: bash scripts/setup-deps.sh installs gcc).
# Quiet unless it fails.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
out=${ISA_CLI_DIR:-$root/.deps/isa}
if ! command -v gcc >/dev/null 2>&1 && ! command -v clang >/dev/null 2>&1; then
  echo "build-cli: no native linker (gcc or clang) for the NativeAOT publish: run bash scripts/setup-deps.sh" >&2
  exit 2
fi
log=$(mktemp)
trap 'rm -f "$log"' EXIT
if ! dotnet publish "$root/src/Cli/Isa.Cli.csproj" -c Release -r linux-x64 -o "$out" --nologo -v q >"$log" 2>&1; then
  tail -n 30 "$log" >&2
  echo "build-cli: dotnet publish failed" >&2
  exit 2
fi
