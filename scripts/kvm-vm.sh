#!/usr/bin/env bash
# Runs one command inside a small Linux VM that has /dev/kvm, on machines without it: QEMU's
# software emulation (`-accel tcg -cpu max`) emulates AMD SVM, so Debian's kernel loads kvm-amd
# there and nested KVM works. The VM chroots into this machine's root (shared read-only over
# virtio-9p), so dotnet and the built test assemblies run unchanged; the work folder is shared
# read-write at the same path; HOME, TMPDIR and /tmp are tmpfs (.NET keeps its named
# mutexes in /tmp). Prints the command's output and exits
# with its exit code (124 when the VM did not finish).
#
#   scripts/kvm-vm.sh [--mem 2G] [--timeout SECONDS] [--workdir DIR] -- COMMAND [ARGS...]
#
# Needs root and Debian package access the first time (qemu-system-x86, cpio; Debian's kernel and
# busybox-static packages, cached in $KVM_VM_CACHE or /var/cache/isa-kvm-vm). .NET runs about 50x
# slower inside: keep the command small. KVM_VM_LOG=FILE keeps the VM's console.
set -euo pipefail
mem=2G
limit=900
work=$PWD
while [ $# -gt 0 ]; do
  case "$1" in
    --mem) mem=$2; shift 2 ;;
    --timeout) limit=$2; shift 2 ;;
    --workdir) work=$(readlink -f "$2"); shift 2 ;;
    --) shift; break ;;
    *) echo "kvm-vm: unknown option $1" >&2; exit 2 ;;
  esac
done
[ $# -gt 0 ] || { echo "usage: kvm-vm.sh [--mem 2G] [--timeout S] [--workdir DIR] -- COMMAND..." >&2; exit 2; }
[ "$work" != / ] || { echo "kvm-vm: the work folder cannot be / (the root is shared read-only)" >&2; exit 2; }

export DEBIAN_FRONTEND=noninteractive
need=()
command -v qemu-system-x86_64 >/dev/null || need+=(qemu-system-x86)
command -v cpio >/dev/null || need+=(cpio)
if [ ${#need[@]} -gt 0 ]; then
  apt-get update -q >/dev/null
  apt-get install -y -q --no-install-recommends "${need[@]}" >/dev/null
fi

cache=${KVM_VM_CACHE:-/var/cache/isa-kvm-vm}
mkdir -p "$cache"
kernel_package() { apt-cache depends linux-image-amd64 2>/dev/null | sed -n 's/^ *Depends: \(linux-image-[^ ]*\)$/\1/p' | head -1; }
pkg=$(kernel_package)
if [ -z "$pkg" ]; then apt-get update -q >/dev/null; pkg=$(kernel_package); fi
[ -n "$pkg" ] || { echo "kvm-vm: cannot find Debian's kernel package (linux-image-amd64)" >&2; exit 2; }
version=${pkg#linux-image-}
kroot=$cache/$version
if [ ! -f "$kroot/boot/vmlinuz-$version" ]; then
  (cd "$cache" && apt-get download "$pkg" >/dev/null 2>&1 && dpkg-deb -x "$pkg"_*.deb "$kroot" && rm -f "$pkg"_*.deb)
fi
modules=$kroot/lib/modules/$version/kernel
# The VM's init needs a static busybox; the machine's own may be the dynamic one: keep ours in the cache.
busybox=$cache/busybox-static/bin/busybox
if [ ! -x "$busybox" ]; then
  (cd "$cache" && apt-get download busybox-static >/dev/null 2>&1 && dpkg-deb -x busybox-static_*.deb busybox-static && rm -f busybox-static_*.deb)
fi

run=$(mktemp -d /tmp/isa-kvm-vm.XXXXXX)
trap 'rm -rf "$run"' EXIT
initrd=$run/initrd
mkdir -p "$initrd"/{bin,proc,sys,dev,modules,root}
cp "$busybox" "$initrd/bin/"
for tool in sh mount insmod mkdir chroot cat poweroff; do ln -s busybox "$initrd/bin/$tool"; done
# kvm + kvm-amd for /dev/kvm; virtio-pci + 9p for the shared folders (in load order)
order=(virt/lib/irqbypass arch/x86/kvm/kvm drivers/crypto/ccp/ccp arch/x86/kvm/kvm-amd
       drivers/virtio/virtio_ring drivers/virtio/virtio drivers/virtio/virtio_pci_modern_dev
       drivers/virtio/virtio_pci_legacy_dev drivers/virtio/virtio_pci net/9p/9pnet net/9p/9pnet_virtio
       fs/netfs/netfs fs/fscache/fscache fs/9p/9p)
: > "$initrd/modules/order"
for m in "${order[@]}"; do
  for f in "$modules/$m".ko*; do
    [ -f "$f" ] || continue
    cp "$f" "$initrd/modules/"
    echo "$(basename "$f")" >> "$initrd/modules/order"
  done
done
printf '%q ' "$@" > "$initrd/command"
cat > "$initrd/init" <<INIT
#!/bin/sh
export PATH=/bin
mount -t proc proc /proc
mount -t sysfs sys /sys
mount -t devtmpfs dev /dev
while read -r m; do
  case "\$m" in kvm-amd.*) insmod /modules/\$m nested=1 ;; *) insmod /modules/\$m ;; esac >/dev/null 2>&1
done < /modules/order
mount -t 9p -o trans=virtio,version=9p2000.L,ro,msize=512000 root /root
mount -t proc proc /root/proc
mount -t sysfs sys /root/sys
mount -t devtmpfs dev /root/dev
mount -t tmpfs tmp /root/mnt
mount -t tmpfs tmp /root/tmp
mkdir -p /root/mnt/home /root/mnt/tmp /root$work
mount -t 9p -o trans=virtio,version=9p2000.L,msize=512000 work /root$work
echo ISA_KVM_VM_START
chroot /root /usr/bin/env -i HOME=/mnt/home TMPDIR=/mnt/tmp PATH=/usr/share/dotnet:/usr/local/bin:/usr/bin:/bin \\
  DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1 ISA_IN_KVM_VM=1 \\
  ISA_VM_COMMAND="\$(cat /command)" /bin/sh -c 'cd "$work" && eval "exec \$ISA_VM_COMMAND"' 2>&1
echo "ISA_KVM_VM_EXIT=\$?"
poweroff -f
INIT
chmod +x "$initrd/init"
(cd "$initrd" && find . | cpio -o -H newc 2>/dev/null | gzip -1) > "$run/initrd.gz"

timeout "$limit" qemu-system-x86_64 -accel tcg -cpu max -m "$mem" -smp 1 -nographic -no-reboot \
  -kernel "$kroot/boot/vmlinuz-$version" -initrd "$run/initrd.gz" \
  -append 'console=ttyS0 panic=-1 quiet loglevel=0' \
  -virtfs local,path=/,mount_tag=root,security_model=none,readonly=on,multidevs=remap \
  -virtfs local,path="$work",mount_tag=work,security_model=none,multidevs=remap \
  </dev/null 2>"$run/qemu.log" | tr -d '\r' > "$run/console" || true
[ -z "${KVM_VM_LOG:-}" ] || cp "$run/console" "$KVM_VM_LOG"
# The exit marker may follow the command's last line if that had no newline.
sed -n '/ISA_KVM_VM_START$/,/ISA_KVM_VM_EXIT=[0-9]*$/{/ISA_KVM_VM_START$/d;/ISA_KVM_VM_EXIT=[0-9]*$/{s///;/^$/d;};p}' "$run/console"
status=$(sed -n 's/^.*ISA_KVM_VM_EXIT=\([0-9]*\)$/\1/p' "$run/console" | tail -1)
if [ -z "$status" ]; then
  echo "kvm-vm: the VM did not finish (timeout ${limit}s or boot failure); KVM_VM_LOG=FILE keeps its console" >&2
  cat "$run/qemu.log" >&2
  exit 124
fi
exit "$status"
