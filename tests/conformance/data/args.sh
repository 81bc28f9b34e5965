#!/bin/busybox sh
echo "script $0 got $# args: $*"
for a in "$@"; do echo "[$a]"; done
exit 4
