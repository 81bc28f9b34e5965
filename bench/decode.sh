#!/usr/bin/env bash
# Decoder and disassembler throughput of the generated code on real code: builds the `isa` CLI in
# Release and runs `isa bench-decode` on Debian's mipsel busybox (every word of its executable
# sections, decoded N times, then disassembled N times).
#
# Usage: bash bench/decode.sh [--iterations N] [FILE]   (default: 20 passes over busybox)
# Needs scripts/setup-deps.sh for busybox.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
ISA="$ROOT/src/Cli/bin/Release/net10.0/isa"
file="$ROOT/.deps/sysroot-mipsel/bin/busybox"
args=()
while (($#)); do
  case "$1" in
    --iterations) [[ $# -ge 2 ]] || { echo "decode.sh: --iterations needs a number" >&2; exit 2; }; args+=(--iterations "$2"); shift 2 ;;
    -h|--help) sed -n '2,7p' "${BASH_SOURCE[0]}"; exit 0 ;;
    *) file="$1"; shift ;;
  esac
done

[[ -f $file ]] || { echo "decode.sh: $file is missing: run \`bash scripts/setup-deps.sh\`" >&2; exit 2; }

echo "decode.sh: building the isa CLI (Release)" >&2
if ! out=$(dotnet build "$ROOT/src/Cli/Isa.Cli.csproj" -c Release --nologo -v q -clp:ErrorsOnly 2>&1); then
  echo "$out" | tail -n 30 >&2
  echo "decode.sh: build failed" >&2
  exit 2
fi

"$ISA" bench-decode "$file" "${args[@]}"
