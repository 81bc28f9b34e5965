#!/usr/bin/env bash
# How much of GNU objdump's disassembly the generated disassemblers reproduce: builds the `isa`
# CLI once (Release), then runs `isa compare-objdump` on Debian's busybox and on every program of
# the C corpus, printing per program the lines objdump printed, how many are identical, the
# percentage, and a total per target.
#
# Usage: bash scripts/disasm-agreement.sh [--show N] [TARGET...]
#   --show N   after each target, list the N objdump mnemonics with the most mismatches
#   TARGET     busybox, mipsel-O0, mipsel-O2, mips-O2, rv32im-O2 (default: all)
# Needs scripts/setup-deps.sh (objdumps, busybox) and scripts/build-test-programs.sh (corpus).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
ALL_TARGETS=(busybox mipsel-O0 mipsel-O2 mips-O2 rv32im-O2)
BUSYBOX="$ROOT/.deps/sysroot-mipsel/bin/busybox"
PROGRAMS="$ROOT/.deps/programs"
ISA="$ROOT/src/Cli/bin/Release/net10.0/isa"

die() { echo "disasm-agreement: error: $*" >&2; exit 2; }

show=()
targets=()
while (($#)); do
  case "$1" in
    --show) [[ $# -ge 2 ]] || die "--show needs a number"; show=(--show "$2"); shift 2 ;;
    -h|--help) sed -n '2,11p' "${BASH_SOURCE[0]}"; exit 0 ;;
    *) [[ " ${ALL_TARGETS[*]} " == *" $1 "* ]] || die "unknown target '$1' (known: ${ALL_TARGETS[*]})"
       targets+=("$1"); shift ;;
  esac
done
((${#targets[@]})) || targets=("${ALL_TARGETS[@]}")

# Inputs first, so a missing dependency is reported before a build.
declare -A files
for target in "${targets[@]}"; do
  if [[ $target == busybox ]]; then
    [[ -f $BUSYBOX ]] || die "$BUSYBOX is missing: run \`bash scripts/setup-deps.sh\`"
    files[$target]="$BUSYBOX"
  else
    list=()
    for f in "$PROGRAMS/$target"/*; do
      [[ -f $f && $(basename "$f") != *.* ]] && list+=("$f")
    done
    ((${#list[@]})) || die "no programs in $PROGRAMS/$target: run \`bash scripts/setup-deps.sh\` and \`bash scripts/build-test-programs.sh\`"
    files[$target]="${list[*]}"
  fi
done

echo "disasm-agreement: building the isa CLI (Release)" >&2
if ! out=$(dotnet build "$ROOT/src/Cli/Isa.Cli.csproj" -c Release --nologo -v q -clp:ErrorsOnly 2>&1); then
  echo "$out" | tail -n 30 >&2
  die "build failed"
fi

# `isa compare-objdump` prints "FILE: ISA vs OBJDUMP: N lines, M identical, P%" per file (and a
# "total of K files" line); the rest (the --show report) passes through.
table() {
  awk -v root="$PROGRAMS/" -v bb="$BUSYBOX" '
    / lines, [0-9]+ identical, [0-9.]+%$/ {
      n = split($0, part, ": ")
      name = part[1]; split(part[2], tool, " "); split(part[n], count, " ")
      if (name == bb) name = "busybox"
      else if (index(name, root) == 1) name = substr(name, length(root) + 1)
      else if (name ~ /^total of/) name = "  " name
      printf "%-28s %-9s %9d %9d %9s\n", name, tool[1], count[1], count[3], count[5]
      next
    }
    { print }'
}

printf "%-28s %-9s %9s %9s %9s\n" PROGRAM ISA LINES IDENTICAL AGREEMENT
status=0
for target in "${targets[@]}"; do
  # shellcheck disable=SC2086  # the file list is space-separated paths without spaces
  "$ISA" compare-objdump ${files[$target]} "${show[@]}" | table || status=$?
done
exit $status
