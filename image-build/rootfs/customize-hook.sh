#!/bin/sh
# mmdebstrap --customize-hook: runs once every package is installed. $1 = the target root,
# $2 = the initramfs module list on the host.
set -eu
root=$1
modules=$2

# raspi-firmware otherwise derives cma= from the *build host's* memory, which can leave a Pi 4 unbootable.
sed -i -e 's/^#\?CMA=.*/CMA=0/' "$root/etc/default/raspi-firmware"
grep -q '^CMA=0' "$root/etc/default/raspi-firmware" || echo 'CMA=0' >>"$root/etc/default/raspi-firmware"

grep -v '^#' "$modules" | sed '/^$/d' >"$root/etc/initramfs-tools/modules"

# Undo the diversion and build the initramfs exactly once; its post-update hook (raspi-firmware)
# copies kernel, initrd, DTBs, config.txt and cmdline.txt to /boot/firmware.
rm -f "$root/usr/sbin/update-initramfs"
chroot "$root" dpkg-divert --local --rename --divert /usr/sbin/update-initramfs.kalki-real --remove /usr/sbin/update-initramfs
hook=/etc/kernel/postinst.d/z50-raspi-firmware
[ -x "$root$hook" ] || { echo "raspi-firmware kernel hook $hook missing" >&2; exit 1; }
for moddir in "$root"/lib/modules/*; do
    kver=${moddir##*/}
    chroot "$root" update-initramfs -c -k "$kver"
    # Re-run the kernel hook so /boot/firmware matches the final configuration (CMA, cmdline).
    chroot "$root" "$hook" "$kver" "/boot/vmlinuz-$kver"
done

# Installed package list, recorded next to the image (mirror versions move).
chroot "$root" dpkg-query -W -f '${Package}\t${Version}\t${Architecture}\n' >"$root/.kalki-packages.tsv"
