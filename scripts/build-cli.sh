#!/usr/bin/env bash
# Builds the `isa` command for running guests: a Release publish with ReadyToRun code (the JIT's
# own translator, Iced and the runtime start precompiled, which cuts the startup of every guest
# run) into .deps/isa/isa, or into $ISA_CLI_DIR (a worktree's own build: .deps may be shared).
# Quiet unless it fails.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
log=$(mktemp)
trap 'rm -f "$log"' EXIT
if ! dotnet publish "$root/src/Cli/Isa.Cli.csproj" -c Release -r linux-x64 --self-contained false \
    -p:PublishReadyToRun=true -o "${ISA_CLI_DIR:-$root/.deps/isa}" --nologo -v q >"$log" 2>&1; then
  tail -n 30 "$log" >&2
  echo "build-cli: dotnet publish failed" >&2
  exit 2
fi
