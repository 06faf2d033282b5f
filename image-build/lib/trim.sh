# shellcheck shell=bash
# What the appliance's root file system leaves out of Debian's packages, applied by stage-tree.sh to the unpacked
# root (docs, man pages and locales are already kept out by rootfs.sh). Both root slots and every bundle carry the
# root, so each MiB here counts three times on the card and once per update. Sourced, never executed.
# Nothing listed is used on a read-only appliance that never installs packages; the image test boots the result.

# Kernel module directories (under /usr/lib/modules/VER/kernel) of hardware and file systems a Pi appliance does not
# use: graphics cards, cameras and TV tuners, sound, Wi-Fi chips other than the Pi's own (broadcom), PCIe network
# cards, InfiniBand, storage controllers it has no bus for, Bluetooth, network and cluster file systems. A module
# here that a kept module depends on (e.g. cec and the sound core for the Pi's HDMI driver vc4) is kept.
readonly TRIM_MODULE_DIRS=(
    sound drivers/media drivers/infiniband drivers/iio drivers/staging drivers/target drivers/nvme drivers/ata
    drivers/xen drivers/isdn drivers/bluetooth net/bluetooth drivers/net/can drivers/net/wwan drivers/net/wireless
    drivers/net/ethernet drivers/gpu/drm/amd drivers/gpu/drm/nouveau drivers/gpu/drm/radeon drivers/gpu/drm/msm
    drivers/gpu/drm/tegra drivers/gpu/drm/etnaviv drivers/gpu/drm/panfrost drivers/gpu/drm/lima drivers/gpu/drm/rockchip
    drivers/gpu/drm/sun4i drivers/gpu/drm/meson drivers/gpu/drm/mediatek drivers/gpu/drm/hisilicon drivers/gpu/drm/imx
    drivers/gpu/drm/vmwgfx drivers/gpu/drm/nouveau drivers/gpu/drm/udl drivers/gpu/drm/ast drivers/gpu/drm/mgag200
    fs/xfs fs/smb fs/cifs fs/ocfs2 fs/nfs fs/nfsd fs/btrfs fs/f2fs fs/gfs2 fs/ceph fs/jfs fs/reiserfs fs/nilfs2 fs/ubifs
    fs/udf fs/ufs fs/sysv fs/romfs fs/qnx4 fs/qnx6 fs/zonefs fs/orangefs fs/afs fs/coda fs/hfs fs/hfsplus fs/dlm
    fs/ntfs3 fs/erofs fs/omfs fs/minix fs/befs fs/bfs fs/efs fs/hpfs fs/affs fs/adfs fs/freevxfs fs/cramfs fs/jffs2
    fs/9p fs/lockd fs/nfs_common net/sunrpc net/ceph net/9p
)
# Kept inside the directories above: the Pi's Wi-Fi (brcmfmac) and the Pi 4's Ethernet (bcmgenet), and Realtek's
# PCIe NICs (a CM4 carrier's second port).
readonly KEEP_MODULE_DIRS=(drivers/net/wireless/broadcom drivers/net/ethernet/broadcom drivers/net/ethernet/realtek)

# Files no appliance program reads: the raspi-firmware package's own copy of the boot files (its kernel hook copies
# them to the boot partition at build time; the appliance never installs a kernel), device trees of other boards,
# the kernel's symbol map, udev's hwdb sources (udev reads the compiled hwdb.bin), glibc's iconv charset modules
# (the firmware is .NET in invariant globalization mode; nothing on the image calls iconv for other charsets).
readonly TRIM_PATHS=(usr/lib/raspi-firmware usr/lib/udev/hwdb.d boot/System.map-* usr/lib/aarch64-linux-gnu/gconv/*.so
    usr/lib/aarch64-linux-gnu/gconv/gconv-modules.d)

# trim_modules ROOT: drop TRIM_MODULE_DIRS (minus what kept modules depend on), xz-compress the rest as the kernel's
# own build does (crc32 check, 1 MiB dictionary; kmod loads .ko.xz), and rebuild the module index in the target.
trim_modules() {
    local root=$1 moddir kver
    for moddir in "$root"/usr/lib/modules/*/; do
        kver=$(basename "$moddir")
        [[ -f $moddir/modules.dep ]] || die "no modules.dep for kernel $kver"
        drop_unneeded_modules "$moddir"
        find "$moddir/kernel" -name '*.ko' -print0 | xargs -0 -r -P2 -n 64 xz --check=crc32 --lzma2=dict=1MiB
        chroot "$root" /sbin/depmod "$kver" || die "depmod $kver failed in the target"
        find "$moddir/kernel" -type d -empty -delete
    done
}

# Every module outside TRIM_MODULE_DIRS (or inside KEEP_MODULE_DIRS) is kept with all it depends on (modules.dep
# lists a module's dependencies transitively); the rest is deleted.
drop_unneeded_modules() {
    local moddir=$1
    local dropped
    dropped=$(awk -v drop="$(printf '%s\n' "${TRIM_MODULE_DIRS[@]}")" -v keep="$(printf '%s\n' "${KEEP_MODULE_DIRS[@]}")" '
        function under(path, dirs,   n, d, i) {
            n = split(dirs, d, "\n")
            for (i = 1; i <= n; i++) if (d[i] != "" && index(path, "kernel/" d[i] "/") == 1) return 1
            return 0
        }
        {
            mod = $1; sub(/:$/, "", mod); all[mod] = 1
            if (!under(mod, drop) || under(mod, keep)) { wanted[mod] = 1; for (i = 2; i <= NF; i++) wanted[$i] = 1 }
        }
        END { for (m in all) if (!(m in wanted)) print m }' "$moddir/modules.dep")
    [[ -n $dropped ]] || die "trim: no module matched TRIM_MODULE_DIRS in $moddir (did the kernel layout change?)"
    (cd "$moddir" && xargs -r rm -f <<<"$dropped")
    log "trim: dropped $(wc -l <<<"$dropped") kernel modules of hardware and file systems the appliance does not use"
}

# trim_files ROOT: TRIM_PATHS, and device trees of boards other than the Pi's (broadcom) in the kernel package.
trim_files() {
    local root=$1 pattern dtbs
    for pattern in "${TRIM_PATHS[@]}"; do
        # shellcheck disable=SC2086  # the patterns glob
        rm -rf -- "$root"/$pattern
    done
    for dtbs in "$root"/usr/lib/linux-image-*/; do
        find "$dtbs" -mindepth 1 -maxdepth 1 ! -name broadcom -exec rm -rf -- {} +
    done
}

# trim_root ROOT: everything above, with the size before and after in the build log.
trim_root() {
    local root=$1 before
    before=$(du -sm "$root" | cut -f1)
    trim_modules "$root"
    trim_files "$root"
    log "trim: root file system ${before} MiB -> $(du -sm "$root" | cut -f1) MiB"
}
