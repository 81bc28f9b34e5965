#!/usr/bin/env bash
# The main job: a bundled guest program (tests/programs/nbody.c, built for MIPS32 little-endian
# by scripts/build-test-programs.sh) run by `isa run`, then Debian's lua5.4 (dynamically linked
# MIPS) running a script. Installs the toolchain first if it is missing.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"
bash scripts/setup-deps.sh >/dev/null
bash scripts/build-test-programs.sh --no-run mipsel-O2 >/dev/null
bash scripts/build-cli.sh
isa=.deps/isa/isa
echo "== nbody (MIPS32 little-endian, static) under isa run (the JIT)"
$isa run --stats .deps/programs/mipsel-O2/nbody
echo "== Debian's lua5.4 (MIPS32, dynamic) under isa run"
$isa run --stats --sysroot .deps/sysroot-mipsel .deps/sysroot-mipsel/usr/bin/lua5.4 tests/conformance/data/script.lua
