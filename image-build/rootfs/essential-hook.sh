#!/bin/sh
# mmdebstrap --essential-hook: runs after the Essential set is unpacked, before the kernel is installed.
# $1 = the target root.
set -eu
root=$1

# Build the initramfs once at the end (customize-hook) instead of on every kernel/firmware postinst:
# under emulation each build costs minutes.
chroot "$root" dpkg-divert --local --rename --divert /usr/sbin/update-initramfs.kalki-real --add /usr/sbin/update-initramfs
ln -sf /bin/true "$root/usr/sbin/update-initramfs"

# initramfs configuration overrides (conf.d is not a conffile, so no dpkg prompts later).
mkdir -p "$root/etc/initramfs-tools/conf.d"
cat >"$root/etc/initramfs-tools/conf.d/kalki-edge.conf" <<'CONF'
# Explicit module list instead of MODULES=most (fast build) or dep (would probe the build host).
MODULES=list
# The fsck hook cannot resolve LABEL= inside the build chroot; say what the root file system is.
FSTYPE=ext4
COMPRESS=zstd
CONF
