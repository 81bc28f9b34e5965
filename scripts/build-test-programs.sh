#!/usr/bin/env bash
# Builds the C test corpus (tests/programs/*.c) for every target into .deps/programs/<target>/,
# rebuilding only what is out of date, then runs each binary (qemu-user for the guests, natively
# for x86-64) and checks its exit status and its stdout against the native x86-64 run.
#
# Targets:
#   mipsel-O0      mipsel-linux-gnu-gcc -O0 -static
#   mipsel-O2      mipsel-linux-gnu-gcc -O2 -static
#   mipsel-O2-dyn  mipsel-linux-gnu-gcc -O2 (dynamic, PIE: Debian's default), run with
#                  qemu-mipsel -L .deps/sysroot-mipsel (falls back to /usr/mipsel-linux-gnu)
#   mips-O2        mips-linux-gnu-gcc -O2 -static (big endian)
#   rv32im-O2      riscv64-unknown-elf-gcc -march=rv32im -mabi=ilp32 -O2, picolibc + the
#                  Linux start/syscall layer in tests/programs/rv32/ (static, Linux user ELF)
#   x86_64-O2      gcc -O2 (native, dynamic; the reference output and a benchmark baseline)
#
# Each run leaves <target>/<name>.stdout and <target>/<name>.exit next to the binary.
# Expected exit status: 0, or the number in an "expect-exit: N" comment in the source.
# A "needs: linux" comment keeps a program (signals, timers) off rv32im-O2, whose picolibc layer
# has no kernel interface beyond write, exit and brk (nor threads or processes). A "reference: native" comment marks a
# program where qemu-user differs from a real kernel: its guest builds are not run under qemu
# here, and the conformance tests compare `isa run` with the native x86-64 run instead.
#
# Usage: bash scripts/build-test-programs.sh [--no-run] [TARGET...]
# Needs the toolchain from scripts/setup-deps.sh.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
SRC="$ROOT/tests/programs"
OUT="$ROOT/.deps/programs"
SYSROOT="$ROOT/.deps/sysroot-mipsel"
SELF="$ROOT/scripts/build-test-programs.sh"
PICO=/usr/lib/picolibc/riscv64-unknown-elf
ALL_TARGETS=(x86_64-O2 mipsel-O0 mipsel-O2 mipsel-O2-dyn mips-O2 rv32im-O2)
WARN=(-Wall -Wextra -Werror)
RUN_TIMEOUT=120

die() { echo "build-test-programs: error: $*" >&2; exit 1; }

run=1
targets=()
for a in "$@"; do
  case "$a" in
    --no-run) run=0 ;;
    -h|--help) sed -n '2,22p' "$SELF"; exit 0 ;;
    *) [[ " ${ALL_TARGETS[*]} " == *" $a "* ]] || die "unknown target '$a' (known: ${ALL_TARGETS[*]})"
       targets+=("$a") ;;
  esac
done
((${#targets[@]})) || targets=("${ALL_TARGETS[@]}")
# The native build is the reference output: always build and run it first.
if ((run)) && [[ " ${targets[*]} " != *" x86_64-O2 "* ]]; then targets=(x86_64-O2 "${targets[@]}"); fi

shopt -s nullglob
programs=()
for f in "$SRC"/*.c; do programs+=("$(basename "$f" .c)"); done
((${#programs[@]})) || die "no programs in $SRC"

needs_linux() { grep -q 'needs: linux' "$SRC/$1.c"; }
native_reference() { grep -q 'reference: native' "$SRC/$1.c"; }

# compiler command (as an array name) and extra inputs per target
cc_for() {
  case "$1" in
    mipsel-O0)     CC=(mipsel-linux-gnu-gcc -O0 -static); LIBS=(-lm) ;;
    mipsel-O2)     CC=(mipsel-linux-gnu-gcc -O2 -static); LIBS=(-lm) ;;
    mipsel-O2-dyn) CC=(mipsel-linux-gnu-gcc -O2); LIBS=(-lm) ;;
    mips-O2)       CC=(mips-linux-gnu-gcc -O2 -static); LIBS=(-lm) ;;
    x86_64-O2)     CC=(gcc -O2); LIBS=(-lm) ;;
    rv32im-O2)
      CC=(riscv64-unknown-elf-gcc -march=rv32im -mabi=ilp32 -O2 -static -nostdlib -nostartfiles
          -ftls-model=local-exec -isystem "$PICO/include"
          "$SRC/rv32/start.S" "$SRC/rv32/sys.c")
      LIBS=(-L"$PICO/lib/rv32im/ilp32" -Wl,--start-group -lc -lm -lgcc -Wl,--end-group) ;;
  esac
  command -v "${CC[0]}" >/dev/null 2>&1 || die "${CC[0]} not found: run scripts/setup-deps.sh"
}

runner_for() {
  case "$1" in
    mipsel-O0|mipsel-O2) RUNNER=(qemu-mipsel) ;;
    mipsel-O2-dyn)
      if [[ -e "$SYSROOT/lib/ld.so.1" ]]; then RUNNER=(qemu-mipsel -L "$SYSROOT")
      else RUNNER=(qemu-mipsel -L /usr/mipsel-linux-gnu); fi ;;
    mips-O2)   RUNNER=(qemu-mips) ;;
    rv32im-O2) RUNNER=(qemu-riscv32) ;;
    x86_64-O2) RUNNER=() ;;
  esac
  if ((${#RUNNER[@]})) && ! command -v "${RUNNER[0]}" >/dev/null 2>&1; then RUNNER=(missing); fi
  return 0
}

# ---- build ---------------------------------------------------------------------------------
built=0 uptodate=0
for t in "${targets[@]}"; do
  cc_for "$t"
  mkdir -p "$OUT/$t"
  deps=("$SELF")
  [[ $t == rv32im-O2 ]] && deps+=("$SRC/rv32/start.S" "$SRC/rv32/sys.c")
  for p in "${programs[@]}"; do
    if [[ $t == rv32im-O2 ]] && needs_linux "$p"; then continue; fi
    bin="$OUT/$t/$p" stale=0
    [[ -e $bin ]] || stale=1
    for d in "$SRC/$p.c" "${deps[@]}"; do [[ $stale == 1 || $d -nt $bin ]] && stale=1; done
    if ((stale)); then
      if ! msg=$("${CC[@]}" "${WARN[@]}" -o "$bin.tmp" "$SRC/$p.c" "${LIBS[@]}" 2>&1); then
        rm -f "$bin.tmp"; echo "$msg" >&2; die "compiling $p for $t failed"
      fi
      [[ -z $msg ]] || { echo "$msg" >&2; die "compiler output for $p ($t)"; }
      mv -f "$bin.tmp" "$bin"
      rm -f "$bin.stdout" "$bin.exit"
      built=$((built + 1))
    else
      uptodate=$((uptodate + 1))
    fi
  done
done
echo "build-test-programs: ${#programs[@]} programs x ${#targets[@]} targets: $built built, $uptodate up to date"
((run)) || exit 0

# ---- run and compare -----------------------------------------------------------------------
expected_exit() { local n; n=$(sed -n 's/.*expect-exit: *\([0-9][0-9]*\).*/\1/p' "$SRC/$1.c" | head -n1); echo "${n:-0}"; }

failures=0
declare -A cell
for t in "${targets[@]}"; do
  runner_for "$t"
  for p in "${programs[@]}"; do
    bin="$OUT/$t/$p"
    if [[ $t == rv32im-O2 ]] && needs_linux "$p"; then cell[$t,$p]=-; continue; fi
    if [[ $t != x86_64-O2 ]] && native_reference "$p"; then cell[$t,$p]=native-ref; continue; fi
    if [[ ${RUNNER[0]:-} == missing ]]; then cell[$t,$p]=norun; continue; fi
    # re-run only when the binary is newer than its recorded result
    if [[ ! -e $bin.exit || $bin -nt $bin.exit ]]; then
      set +e
      timeout "$RUN_TIMEOUT" "${RUNNER[@]}" "$bin" </dev/null >"$bin.stdout" 2>"$bin.stderr"
      echo $? >"$bin.exit"
      set -e
    fi
    code=$(cat "$bin.exit") want=$(expected_exit "$p")
    if [[ $code != "$want" ]]; then
      cell[$t,$p]="exit=$code"; failures=$((failures + 1))
      echo "FAIL $t/$p: exit $code, expected $want; stderr: $(head -c 300 "$bin.stderr")" >&2
    elif [[ $t != x86_64-O2 ]] && ! cmp -s "$bin.stdout" "$OUT/x86_64-O2/$p.stdout"; then
      cell[$t,$p]=DIFF; failures=$((failures + 1))
      echo "DIFF $t/$p (vs x86_64-O2):" >&2
      diff "$OUT/x86_64-O2/$p.stdout" "$bin.stdout" | head -n 10 >&2 || true
    else
      cell[$t,$p]=ok
    fi
  done
done

printf '%-14s' program; for t in "${targets[@]}"; do printf ' %-13s' "$t"; done; echo
for p in "${programs[@]}"; do
  printf '%-14s' "$p"; for t in "${targets[@]}"; do printf ' %-13s' "${cell[$t,$p]}"; done; echo
done
if ((failures)); then echo "build-test-programs: $failures failing runs" >&2; exit 1; fi
echo "build-test-programs: all runs ok"
