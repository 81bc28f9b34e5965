#!/usr/bin/env bash
# The benchmark of issue 4, in one go: each workload natively (the same C built for x86-64, Debian's
# x86-64 busybox and lua5.4), under qemu-mipsel, under `isa run --engine interp` and under
# `isa run --engine jit` (and `--engine kvm`, the JIT's code in KVM vCPUs, where /dev/kvm works). Prints wall times, ratios, peak memory (max RSS), the engines' guest
# instructions per second, the JIT's translation speed and the startup time of a trivial program.
# Every run's stdout and exit status must equal the native run's (else qemu's): a wrong result is
# flagged in the table, never timed. An engine that `isa run` does not know is shown as n/a.
#
# Usage: bash bench/run.sh [--quick] [--only NAME[,NAME...]] [--engines "native qemu interp jit kvm"]
#                          [--repeat N] [--interp-limit SECONDS]
#   --quick            small sizes (a smoke run of a few seconds per engine)
#   --only NAMES       only these workloads (comma-separated; see the list below); `startup` is one
#   --engines LIST     the runners to use, a subset of "native qemu interp jit kvm" (default: all; kvm is
#                      n/a without /dev/kvm)
#   --repeat N         run each measurement N times and keep the fastest (default 1)
#   --interp-limit S   stop an interpreter run after S seconds, shown as ">S" (default 120; 0: no limit)
# Environment: ISA_CLI_DIR=DIR builds and runs DIR/isa instead of .deps/isa/isa.
# Workloads: startup busybox-sha256 lua lists matmul statemachine crc32 sha256 nbody qsort
# Exit status: 0 when every run gave the reference output, 1 when one did not, 2 on a setup error.
# Needs scripts/setup-deps.sh (qemu-user, the cross gcc, the mipsel sysroot, busybox, lua5.4, time).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
SELF="$ROOT/bench/run.sh"
PROGRAMS="$ROOT/bench/programs"
SYSROOT="$ROOT/.deps/sysroot-mipsel"
OUT="$ROOT/.deps/bench"
ISA="${ISA_CLI_DIR:-$ROOT/.deps/isa}/isa"
ALL_ENGINES=(native qemu interp jit kvm)
ALL_WORKLOADS=(startup busybox-sha256 lua lists matmul statemachine crc32 sha256 nbody qsort)

die() { echo "bench: error: $*" >&2; exit 2; }
log() { echo "bench: $*" >&2; }

quick=0 repeat=1 interp_limit=120
engines=("${ALL_ENGINES[@]}") only=()
while (($#)); do
  case "$1" in
    --quick) quick=1; shift ;;
    --only) [[ $# -ge 2 ]] || die "--only needs workload names"; IFS=', ' read -r -a names <<<"$2"; only+=("${names[@]}"); shift 2 ;;
    --engines) [[ $# -ge 2 ]] || die "--engines needs a list"; read -r -a engines <<<"${2//,/ }"; shift 2 ;;
    --repeat) [[ ${2:-} =~ ^[1-9][0-9]*$ ]] || die "--repeat needs a positive number"; repeat=$2; shift 2 ;;
    --interp-limit) [[ ${2:-} =~ ^[0-9]+$ ]] || die "--interp-limit needs a number of seconds"; interp_limit=$2; shift 2 ;;
    -h|--help) awk 'NR > 1 && !/^#/ { exit } NR > 1 { sub(/^# ?/, ""); print }' "$SELF"; exit 0 ;;
    *) die "unknown argument '$1' (see --help)" ;;
  esac
done
for e in "${engines[@]}"; do [[ " ${ALL_ENGINES[*]} " == *" $e "* ]] || die "unknown engine '$e' (known: ${ALL_ENGINES[*]})"; done
((${#engines[@]})) || die "--engines is empty"
for w in "${only[@]}"; do [[ " ${ALL_WORKLOADS[*]} " == *" $w "* ]] || die "unknown workload '$w' (known: ${ALL_WORKLOADS[*]})"; done
((${#only[@]})) || only=("${ALL_WORKLOADS[@]}")
workloads=()
for w in "${ALL_WORKLOADS[@]}"; do [[ " ${only[*]} " == *" $w "* ]] && workloads+=("$w"); done
uses() { [[ " ${engines[*]} " == *" $1 "* ]]; }

# ---- sizes: a native run takes ~0.3-1 s on an idle core (quick: ~20x less) -------------------
declare -A SIZE
if ((quick)); then
  SIZE=([busybox-sha256]=16 [lua]="22 20000" [lists]=60 [matmul]=400 [statemachine]=300 [crc32]=120
        [sha256]=4 [nbody]=200 [qsort]=8)
else
  SIZE=([busybox-sha256]=200 [lua]="27 200000" [lists]=1200 [matmul]=8000 [statemachine]=6000 [crc32]=2500
        [sha256]=80 [nbody]=4000 [qsort]=160)
fi
describe() {
  case "$1" in
    startup) echo "hello, median of 5" ;;
    busybox-sha256) echo "${SIZE[$1]} MB file" ;;
    lua) local a=(${SIZE[lua]}); echo "fib(${a[0]}), sort ${a[1]}" ;;
    lists|qsort) echo "${SIZE[$1]} rounds" ;;
    matmul) echo "${SIZE[$1]} x 64^3" ;;
    statemachine|crc32) echo "${SIZE[$1]} x 64 KB" ;;
    sha256) echo "${SIZE[$1]} MB" ;;
    nbody) echo "${SIZE[$1]}k steps" ;;
  esac
}

# ---- prerequisites ----------------------------------------------------------------------------
[[ -x /usr/bin/time ]] || die "/usr/bin/time is missing: run bash scripts/setup-deps.sh"
command -v gcc >/dev/null && command -v mipsel-linux-gnu-gcc >/dev/null \
  || die "gcc or mipsel-linux-gnu-gcc is missing: run bash scripts/setup-deps.sh"
[[ -x $SYSROOT/bin/busybox && -x $SYSROOT/usr/bin/lua5.4 ]] || die "the mipsel sysroot is missing: run bash scripts/setup-deps.sh"

if uses interp || uses jit; then
  log "building the isa CLI (NativeAOT: scripts/build-cli.sh)"
  bash "$ROOT/scripts/build-cli.sh" || die "building the isa CLI failed"
fi

# The bench programs (and hello) for x86-64 and for mipsel, rebuilt when a source is newer.
# -ffp-contract=off: no fused multiply-add on either side, so float results agree bit for bit.
build_programs() {
  local target cc bin src stale
  for target in x86_64 mipsel; do
    case $target in
      x86_64) cc=(gcc -O2 -ffp-contract=off) ;;
      mipsel) cc=(mipsel-linux-gnu-gcc -O2 -static -ffp-contract=off) ;;
    esac
    mkdir -p "$OUT/$target"
    for src in "$PROGRAMS"/*.c "$ROOT/tests/programs/hello.c"; do
      bin="$OUT/$target/$(basename "$src" .c)"
      stale=0
      [[ -e $bin && ! $src -nt $bin && ! $PROGRAMS/common.h -nt $bin && ! $SELF -nt $bin ]] || stale=1
      ((stale)) || continue
      "${cc[@]}" -Wall -Wextra -Werror -o "$bin.tmp.$$" "$src" -lm || die "compiling $src for $target failed"
      mv -f "$bin.tmp.$$" "$bin"
    done
  done
}
build_programs

# The input of busybox sha256sum: random bytes, generated once per size.
data_file() {
  local f="$OUT/data-${SIZE[busybox-sha256]}M"
  if [[ ! -f $f ]]; then
    log "generating $f"
    head -c "$((SIZE[busybox-sha256] << 20))" /dev/urandom >"$f.tmp.$$" && mv -f "$f.tmp.$$" "$f"
  fi
  echo "$f"
}

work=$(mktemp -d); trap 'rm -rf "$work"' EXIT

# An isa engine is n/a when `isa run` does not know it; any other failure shows in the table.
declare -A AVAILABLE
for e in "${engines[@]}"; do
  case $e in
    native) AVAILABLE[$e]=1 ;;
    qemu) command -v qemu-mipsel >/dev/null && AVAILABLE[$e]=1 || AVAILABLE[$e]=0 ;;
    interp|jit|kvm)
      AVAILABLE[$e]=1
      if ! "$ISA" run --engine "$e" "$OUT/mipsel/hello" >/dev/null 2>"$work/probe"; then
        if grep -q "unknown engine\|not available" "$work/probe"; then AVAILABLE[$e]=0; log "isa run --engine $e: not available (n/a)"; fi
      fi ;;
  esac
done

# ---- commands --------------------------------------------------------------------------------
# command_for ENGINE WORKLOAD: sets CMD (empty when the runner has no such program).
command_for() {
  local engine=$1 name=$2 native=() guest=() dynamic=0
  case $name in
    startup) native=("$OUT/x86_64/hello"); guest=("$OUT/mipsel/hello") ;;
    busybox-sha256)
      local f; f=$(data_file)
      if command -v busybox >/dev/null; then native=("$(command -v busybox)" sha256sum "$f"); fi
      guest=("$SYSROOT/bin/busybox" sha256sum "$f") ;;
    lua)
      local a=(${SIZE[lua]})
      if command -v lua5.4 >/dev/null; then native=("$(command -v lua5.4)" "$PROGRAMS/bench.lua" "${a[@]}"); fi
      guest=("$SYSROOT/usr/bin/lua5.4" "$PROGRAMS/bench.lua" "${a[@]}"); dynamic=1 ;;
    *) native=("$OUT/x86_64/$name" "${SIZE[$name]}"); guest=("$OUT/mipsel/$name" "${SIZE[$name]}") ;;
  esac
  local root=(); ((dynamic)) && root=(--sysroot "$SYSROOT")
  case $engine in
    native) CMD=("${native[@]}") ;;
    qemu) CMD=(qemu-mipsel); ((dynamic)) && CMD+=(-L "$SYSROOT"); CMD+=("${guest[@]}") ;;
    interp|jit|kvm)
      local limit=()
      [[ $engine == interp && $interp_limit -gt 0 ]] && limit=(--timeout "$interp_limit")
      CMD=("$ISA" run --stats --engine "$engine" "${limit[@]}" "${root[@]}" "${guest[@]}") ;;
  esac
  ((${#native[@]})) || [[ $engine != native ]] || CMD=()
}

# measure ENGINE WORKLOAD TAG: one run; sets SECONDS_TAKEN, RSS_KB, STATUS; stdout in $work/TAG.out,
# stderr in $work/TAG.err.
measure() {
  local tag=$3 start end
  start=$EPOCHREALTIME
  set +e
  /usr/bin/time -q -f '%M' -o "$work/$tag.rss" "${CMD[@]}" <"/dev/null" >"$work/$tag.out" 2>"$work/$tag.err"
  STATUS=$?
  set -e
  end=$EPOCHREALTIME
  SECONDS_TAKEN=$(awk -v a="$start" -v b="$end" 'BEGIN { printf "%.3f", b - a }')
  RSS_KB=$(tail -n 1 "$work/$tag.rss")
}

# ---- run -------------------------------------------------------------------------------------
declare -A TIME RSS MIPS XLATE
load_start=$(cut -d ' ' -f 1-3 /proc/loadavg)
failures=0 notes=()
fmt_mb() { awk -v k="$1" 'BEGIN { printf "%.0f", k / 1024 }'; }

for w in "${workloads[@]}"; do
  ref=""
  for e in "${engines[@]}"; do
    if [[ ${AVAILABLE[$e]} == 0 ]]; then TIME[$w,$e]=n/a; continue; fi
    command_for "$e" "$w"
    if ((${#CMD[@]} == 0)); then TIME[$w,$e]=n/a; notes+=("$w: no native program (install it with scripts/setup-deps.sh)"); continue; fi
    runs=$repeat; [[ $w == startup ]] && runs=5
    times=() best_rss=0 bad=""
    for ((r = 0; r < runs; r++)); do
      measure "$e" "$w" "$w.$e"
      times+=("$SECONDS_TAKEN")
      ((RSS_KB > best_rss)) && best_rss=$RSS_KB
      # isa run --timeout exits with 124: the interpreter ran out of time, a lower bound, not an error
      if [[ $e == interp ]] && ((STATUS == 124 && interp_limit > 0)); then bad=">$interp_limit"; break; fi
      if ((STATUS != 0)); then bad="FAIL($STATUS)"; break; fi
      if [[ -z $ref ]]; then ref="$work/$w.reference"; cp "$work/$w.$e.out" "$ref"
      elif ! cmp -s "$ref" "$work/$w.$e.out"; then bad=WRONG; break; fi
    done
    if [[ $bad == ">"* ]]; then
      TIME[$w,$e]=$bad
      notes+=("$w: interp stopped after $interp_limit s (--interp-limit)")
      log "$w $e: stopped after $interp_limit s"
      continue
    elif [[ -n $bad ]]; then
      TIME[$w,$e]=$bad; failures=$((failures + 1))
      notes+=("$w: $e $bad: $(head -c 300 "$work/$w.$e.err" | tr '\n' ' ')")
      [[ $bad == WRONG ]] && notes+=("$w: $e printed $(head -c 200 "$work/$w.$e.out" | tr '\n' ' ') (expected $(head -c 200 "$ref" | tr '\n' ' '))")
      log "$w $e: $bad"
      continue
    fi
    # the fastest run, or the median of the startup runs
    if [[ $w == startup ]]; then
      TIME[$w,$e]=$(printf '%s\n' "${times[@]}" | sort -n | sed -n "$(((runs + 1) / 2))p")
    else
      TIME[$w,$e]=$(printf '%s\n' "${times[@]}" | sort -n | head -n 1)
    fi
    RSS[$w,$e]=$(fmt_mb "$best_rss")
    # isa: N guest instructions in T s (R million/s, ENGINE)
    MIPS[$w,$e]=$(sed -nE 's/^isa: [0-9]+ guest instructions in [0-9.]+ s \(([0-9.]+) million\/s.*/\1/p' "$work/$w.$e.err" | tail -n 1)
    # isa: jit: B blocks, N guest instructions translated in T s (R million/s)
    XLATE[$w,$e]=$(sed -nE 's/^isa: jit: ([0-9]+) blocks, [0-9]+ guest instructions translated in [0-9.]+ s \(([0-9.]+) million\/s.*/\2 (\1 blocks)/p' "$work/$w.$e.err" | tail -n 1)
    log "$w $e: ${TIME[$w,$e]} s, ${RSS[$w,$e]} MB${MIPS[$w,$e]:+, ${MIPS[$w,$e]} M guest instructions/s}"
  done
done

# ---- report ----------------------------------------------------------------------------------
ratio() { # a b: a / b when both are times; a lower bound (">S") gives a lower bound
  local more=""
  [[ ${1:-} == ">"* ]] && more=">"
  [[ ${1#>} =~ ^[0-9.]+$ && ${2:-} =~ ^[0-9.]+$ ]] || { echo -; return; }
  awk -v a="${1#>}" -v b="$2" -v m="$more" 'BEGIN { if (b > 0) printf "%s%.2f", m, a / b; else printf "-" }'
}
cell() { local v=${TIME[$1,$2]:-}; [[ -n $v ]] && echo "$v" || echo -; }

echo
echo "Host: $(nproc) cores, $(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n 1); load average at the start: $load_start"
echo "Wall time in seconds (ratios: below 1.0 means the first is faster)$( ((quick)) && echo ', --quick sizes')"
printf '%-15s %-22s %8s %8s %8s %8s %8s %9s %10s %11s %8s\n' workload size native qemu interp jit kvm jit/qemu jit/native interp/qemu kvm/jit
for w in "${workloads[@]}"; do
  printf '%-15s %-22s %8s %8s %8s %8s %8s %9s %10s %11s %8s\n' "$w" "$(describe "$w")" \
    "$(cell "$w" native)" "$(cell "$w" qemu)" "$(cell "$w" interp)" "$(cell "$w" jit)" "$(cell "$w" kvm)" \
    "$(ratio "$(cell "$w" jit)" "$(cell "$w" qemu)")" "$(ratio "$(cell "$w" jit)" "$(cell "$w" native)")" \
    "$(ratio "$(cell "$w" interp)" "$(cell "$w" qemu)")" "$(ratio "$(cell "$w" kvm)" "$(cell "$w" jit)")"
done
echo
echo "Peak memory (max RSS, MB) and guest instructions per second (millions; jit xlate: translated)"
printf '%-15s %7s %7s %7s %7s %12s %10s %22s\n' workload native qemu interp jit "interp M/s" "jit M/s" "jit xlate M/s"
for w in "${workloads[@]}"; do
  printf '%-15s %7s %7s %7s %7s %12s %10s %22s\n' "$w" "${RSS[$w,native]:--}" "${RSS[$w,qemu]:--}" \
    "${RSS[$w,interp]:--}" "${RSS[$w,jit]:--}" "${MIPS[$w,interp]:--}" "${MIPS[$w,jit]:--}" "${XLATE[$w,jit]:--}"
done
if ((${#notes[@]})); then
  echo
  printf 'note: %s\n' "${notes[@]}"
fi
if ((failures)); then echo "bench: $failures runs gave a wrong result or failed" >&2; exit 1; fi
