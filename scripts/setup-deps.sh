#!/usr/bin/env bash
# Installs the project's external toolchain and reference corpus:
#   - Debian packages: qemu-user, MIPS (el/eb) and RISC-V cross binutils/gcc, picolibc for RV32
#   - a mipsel sysroot in .deps/sysroot-mipsel/ made from Debian's own mipsel packages
#     (busybox-static, lua5.4 and the shared libraries lua5.4 needs)
#   - Debian's busybox-static for x86-64, the same version as the mipsel one, extracted into
#     .deps/busybox-amd64/ (not installed: it conflicts with the busybox package): the reference
#     for conformance cases that exec guest programs, which qemu-user cannot do without binfmt_misc
# Idempotent: when everything is present it only checks and prints the tool summary.
# Usage (from anywhere): bash scripts/setup-deps.sh
# Environment: ISA_DEPS_QUIET=1 skips the summary.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
DEPS="$ROOT/.deps"
SYSROOT="$DEPS/sysroot-mipsel"
DEBS="$DEPS/debs-mipsel"
export DEBIAN_FRONTEND=noninteractive LC_ALL=C  # LC_ALL: apt output is parsed below

# Host packages (amd64). gcc/libc6-dev are for the native x86-64 builds and the NativeAOT link of
# the isa CLI (scripts/build-cli.sh). Installed with
# --no-install-recommends, so the cross libc headers (only Recommended by the cross gcc) and
# picolibc (the RV32 libc: ships an rv32im/ilp32 multilib) are listed explicitly.
# qemu-user-binfmt (Recommended by qemu-user) is deliberately not installed.
# busybox and lua5.4 (x86-64) are the native baselines of bench/run.sh; time (GNU time) measures
# its peak memory.
HOST_PKGS=(
  qemu-user
  binutils-mipsel-linux-gnu binutils-mips-linux-gnu
  gcc-mipsel-linux-gnu gcc-mips-linux-gnu
  libc6-dev-mipsel-cross libc6-dev-mips-cross
  gcc-riscv64-unknown-elf binutils-riscv64-unknown-elf
  picolibc-riscv64-unknown-elf
  gcc libc6-dev
  busybox lua5.4 time
)
# Target packages (mipsel), extracted into the sysroot, never installed.
# lua5.4 links liblua statically; it NEEDs libreadline.so.8, libm.so.6, libc.so.6, ld.so.1.
# liblua5.4-0 (and its libstdc++6/libgcc-s1 deps) are kept for programs that embed Lua.
MIPSEL_PKGS=(
  busybox-static lua5.4 liblua5.4-0
  libc6 libgcc-s1 libstdc++6 libreadline8 libtinfo6
)

die() { echo "setup-deps: error: $*" >&2; exit 1; }
log() { echo "setup-deps: $*" >&2; }

SUDO=()
if [[ $EUID -ne 0 ]]; then
  if command -v sudo >/dev/null 2>&1; then SUDO=(sudo -n); else die "must run as root (or with passwordless sudo)"; fi
fi
command -v apt-get >/dev/null 2>&1 || die "apt-get not found: this script supports Debian 12 (bookworm) only"

APT_UPDATED=0
apt_update() {
  [[ $APT_UPDATED -eq 1 ]] && return 0
  log "apt-get update"
  local out
  if ! out=$("${SUDO[@]}" apt-get update -qq 2>&1); then
    echo "$out" >&2; die "apt-get update failed"
  fi
  APT_UPDATED=1
}

pkg_installed() {
  [[ "$(dpkg-query -W -f='${Status}' "$1" 2>/dev/null)" == "install ok installed" ]]
}

# ---- 1. host packages -------------------------------------------------------------------
missing=()
for p in "${HOST_PKGS[@]}"; do pkg_installed "$p" || missing+=("$p"); done
if ((${#missing[@]})); then
  apt_update
  log "installing: ${missing[*]}"
  if ! out=$("${SUDO[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" 2>&1); then
    echo "$out" | tail -n 30 >&2; die "apt-get install failed for: ${missing[*]}"
  fi
fi

# ---- 2. mipsel sysroot ------------------------------------------------------------------
stamp="$SYSROOT/.isa-sysroot-stamp"
want_stamp="${MIPSEL_PKGS[*]}"
if [[ ! -f "$stamp" || "$(cat "$stamp")" != "$want_stamp" || ! -x "$SYSROOT/bin/busybox" ]]; then
  # (no `cmd | grep -q` under pipefail: grep's early exit can SIGPIPE the writer)
  if [[ " $(dpkg --print-foreign-architectures | tr '\n' ' ') " != *" mipsel "* ]]; then
    log "dpkg --add-architecture mipsel"
    "${SUDO[@]}" dpkg --add-architecture mipsel
    APT_UPDATED=0
    apt_update
  fi
  # No candidate for a mipsel package means the lists predate the architecture: refresh.
  policy=$(apt-cache policy busybox-static:mipsel 2>/dev/null || true)
  if [[ "$policy" != *"Candidate: "[0-9]* ]]; then
    apt_update
  fi
  mkdir -p "$DEBS"
  rm -f "$DEBS"/*.deb
  targets=(); for p in "${MIPSEL_PKGS[@]}"; do targets+=("$p:mipsel"); done
  # apt-get download writes to the current dir; APT::Sandbox::User=root avoids the _apt
  # sandbox warning (the _apt user cannot write into root-owned work trees).
  download() { (cd "$DEBS" && apt-get download -qq -o APT::Sandbox::User=root "${targets[@]}" 2>&1); }
  log "downloading mipsel packages: ${MIPSEL_PKGS[*]}"
  if ! out=$(download); then
    # A stale package list names versions the mirror no longer has: refresh once and retry.
    APT_UPDATED=0; apt_update
    if ! out=$(download); then echo "$out" >&2; die "apt-get download failed"; fi
  fi
  rm -rf "$SYSROOT.tmp"; mkdir -p "$SYSROOT.tmp"
  for deb in "$DEBS"/*.deb; do
    dpkg -x "$deb" "$SYSROOT.tmp" || die "dpkg -x failed for $deb"
  done
  [[ -x "$SYSROOT.tmp/bin/busybox" ]] || die "busybox missing from extracted sysroot"
  echo "$want_stamp" > "$SYSROOT.tmp/.isa-sysroot-stamp"
  rm -rf "$SYSROOT"; mv "$SYSROOT.tmp" "$SYSROOT"
fi

# ---- 3. x86-64 busybox-static (reference for guest execve) -------------------------------
BB_AMD64="$DEPS/busybox-amd64"
if [[ ! -x "$BB_AMD64/bin/busybox" ]]; then
  mkdir -p "$DEPS/debs-amd64"
  rm -f "$DEPS/debs-amd64"/busybox-static_*.deb
  log "downloading busybox-static:amd64"
  dl() { (cd "$DEPS/debs-amd64" && apt-get download -qq -o APT::Sandbox::User=root busybox-static:amd64 2>&1); }
  if ! out=$(dl); then APT_UPDATED=0; apt_update; out=$(dl) || { echo "$out" >&2; die "apt-get download busybox-static:amd64 failed"; }; fi
  rm -rf "$BB_AMD64.tmp"; mkdir -p "$BB_AMD64.tmp"
  dpkg -x "$DEPS/debs-amd64"/busybox-static_*.deb "$BB_AMD64.tmp" || die "dpkg -x failed for busybox-static:amd64"
  [[ -x "$BB_AMD64.tmp/bin/busybox" ]] || die "busybox missing from busybox-static:amd64"
  rm -rf "$BB_AMD64"; mv "$BB_AMD64.tmp" "$BB_AMD64"
fi

# ---- 4. sanity checks + summary -----------------------------------------------------------
need() { command -v "$1" >/dev/null 2>&1 || die "$1 not found after install"; }
for t in qemu-mipsel qemu-mips qemu-riscv32 mipsel-linux-gnu-gcc mips-linux-gnu-gcc \
         riscv64-unknown-elf-gcc mipsel-linux-gnu-objdump mips-linux-gnu-objdump \
         riscv64-unknown-elf-objdump gcc; do
  need "$t"
done
PICOLIBC_RV32IM=/usr/lib/picolibc/riscv64-unknown-elf/lib/rv32im/ilp32/libc.a
[[ -f $PICOLIBC_RV32IM ]] || die "picolibc rv32im/ilp32 multilib missing ($PICOLIBC_RV32IM)"
out=$(qemu-mipsel "$SYSROOT/bin/busybox" echo ok 2>&1) || die "qemu-mipsel cannot run sysroot busybox: $out"
out=$("$BB_AMD64/bin/busybox" echo ok 2>&1) || die "x86-64 busybox-static does not run: $out"
out=$(qemu-mipsel -L "$SYSROOT" "$SYSROOT/usr/bin/lua5.4" -e 'io.write("ok")' 2>&1) \
  || die "qemu-mipsel cannot run sysroot lua5.4: $out"

[[ "${ISA_DEPS_QUIET:-0}" == 1 ]] && exit 0
ver() { "$1" --version 2>/dev/null | head -n1; }
printf '%-28s %-46s %s\n' \
  qemu-mipsel "$(command -v qemu-mipsel)" "$(ver qemu-mipsel)" \
  qemu-mips "$(command -v qemu-mips)" "$(ver qemu-mips)" \
  qemu-riscv32 "$(command -v qemu-riscv32)" "$(ver qemu-riscv32)" \
  mipsel-linux-gnu-gcc "$(command -v mipsel-linux-gnu-gcc)" "$(ver mipsel-linux-gnu-gcc)" \
  mips-linux-gnu-gcc "$(command -v mips-linux-gnu-gcc)" "$(ver mips-linux-gnu-gcc)" \
  riscv64-unknown-elf-gcc "$(command -v riscv64-unknown-elf-gcc)" "$(ver riscv64-unknown-elf-gcc)" \
  mipsel-linux-gnu-objdump "$(command -v mipsel-linux-gnu-objdump)" "$(ver mipsel-linux-gnu-objdump)" \
  mips-linux-gnu-objdump "$(command -v mips-linux-gnu-objdump)" "$(ver mips-linux-gnu-objdump)" \
  riscv64-unknown-elf-objdump "$(command -v riscv64-unknown-elf-objdump)" "$(ver riscv64-unknown-elf-objdump)" \
  gcc "$(command -v gcc)" "$(ver gcc)" \
  picolibc-rv32im "$PICOLIBC_RV32IM" "$(dpkg-query -W -f='${Version}' picolibc-riscv64-unknown-elf)" \
  sysroot-busybox "$SYSROOT/bin/busybox" "$(qemu-mipsel "$SYSROOT/bin/busybox" 2>&1 | head -n1)" \
  busybox-amd64 "$BB_AMD64/bin/busybox" "$("$BB_AMD64/bin/busybox" 2>&1 | head -n1)" \
  sysroot-lua5.4 "$SYSROOT/usr/bin/lua5.4" "$(qemu-mipsel -L "$SYSROOT" "$SYSROOT/usr/bin/lua5.4" -v 2>&1 | head -n1)"
