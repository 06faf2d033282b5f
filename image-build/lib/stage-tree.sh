#!/usr/bin/env bash
# Stage (b): unpack the cached rootfs, overlay the firmware payload, units and configuration, and split
# the result into the three partition trees: boot/ (FAT), root/ (read-only ext4), data/ (writable ext4).
# Usage: stage-tree.sh ROOTFS_TAR PAYLOAD_DIR SHIM_SO VERSION KEYRING OUT_DIR
# KEYRING: the CA certificate update bundles must chain to (/etc/rauc/keyring.pem, the image's only trust anchor).
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=common.sh
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"
# shellcheck source-path=SCRIPTDIR source=layout.sh
source "$(dirname "${BASH_SOURCE[0]}")/layout.sh"
# shellcheck source-path=SCRIPTDIR source=trim.sh
source "$(dirname "${BASH_SOURCE[0]}")/trim.sh"

readonly APP_DIR=opt/kalki-edge
readonly SERVICE_UID=990   # fixed in overlay/usr/lib/sysusers.d/kalki-edge.conf
readonly ENABLE_UNITS=(kalki-edge.service kalki-firstboot.service kalki-growdata.service
    kalki-mark-good.service kalki-reboot.path systemd-networkd.service systemd-resolved.service systemd-timesyncd.service ssh.service)

unpack_rootfs() {
    local tar=$1 root=$2
    mkdir -p "$root"
    tar --numeric-owner --xattrs --xattrs-include='*' -xpf "$tar" -C "$root"
}

# ELF header: e_machine at offset 18 is 0xB7 (183) for AArch64 — catches an x64 publish early.
require_arm64_elf() {
    local file=$1 machine
    [[ -f $file ]] || die "missing $file"
    [[ $(head -c4 "$file" | od -An -c | tr -d ' ') == '177ELF' ]] || die "$file is not an ELF binary"
    machine=$(od -An -tu2 -j18 -N2 "$file" | tr -d ' ')
    [[ $machine == 183 ]] || die "$file is not linux-arm64 (ELF machine $machine); publish with -r linux-arm64"
}

install_payload() {
    local payload=$1 shim=$2 root=$3
    require_arm64_elf "$payload/kalki-edge"
    require_arm64_elf "$shim"
    mkdir -p "$root/$APP_DIR"
    cp -a "$payload/." "$root/$APP_DIR/"
    # The shim sits next to the executable: the default P/Invoke probing path of a self-contained app.
    install -m 0644 "$shim" "$root/$APP_DIR/libkalkishim.so"
    chown -R 0:0 "$root/$APP_DIR"
    chmod -R go-w "$root/$APP_DIR"
    chmod 0755 "$root/$APP_DIR/kalki-edge"
    # On root's PATH and sudo's secure_path, so an operator types `kalki-edge update BUNDLE` as the docs do.
    mkdir -p "$root/usr/local/bin"
    ln -sfn "/$APP_DIR/kalki-edge" "$root/usr/local/bin/kalki-edge"
}

install_overlay() {
    local root=$1
    # Repository files are owned by whoever checked them out; on the appliance they belong to root.
    cp -a --no-preserve=ownership "$IMAGE_BUILD_DIR/overlay/." "$root/"
    systemd-sysusers --root="$root" >/dev/null
    [[ $(awk -F: '$1 == "kalki-edge" { print $3 }' "$root/etc/passwd") == "$SERVICE_UID" ]] ||
        die "kalki-edge user did not get uid $SERVICE_UID (is the id taken in the rootfs?)"
}

# RAUC: the image's configuration and the one CA it trusts for bundles.
install_rauc() {
    local root=$1 keyring=$2
    [[ -f $keyring ]] || die "no bundle keyring at $keyring"
    grep -q "^/dev/kalki-disk $ENV_OFFSET $ENV_SIZE\$" "$root/etc/fw_env.config" ||
        die "overlay/etc/fw_env.config does not name the boot state block of lib/layout.sh ($ENV_OFFSET $ENV_SIZE)"
    grep -q "by-partuuid/$DISK_ID-0$PART_ROOT_B\$" "$IMAGE_BUILD_DIR/rauc/system.conf" ||
        die "rauc/system.conf does not name the slots by the disk id of lib/layout.sh ($DISK_ID)"
    install -D -m 0644 "$IMAGE_BUILD_DIR/rauc/system.conf" "$root/etc/rauc/system.conf"
    install -m 0644 "$keyring" "$root/etc/rauc/keyring.pem"
    mkdir -p "$root/run/rauc"
}

write_release() {
    local root=$1 version=$2 rev
    rev=$(git -C "$REPO_ROOT" rev-parse --short HEAD 2>/dev/null || echo none)
    cat >"$root/etc/kalki-edge-release" <<REL
KALKI_EDGE_VERSION=$version
KALKI_EDGE_SOURCE_REVISION=$rev
KALKI_EDGE_IMAGE_BUILT=$(date -u +%Y-%m-%dT%H:%M:%SZ)
REL
}

# Nothing unique or secret may ship: each appliance creates these itself (kalki-firstboot, ssh-setup).
scrub_identity() {
    local root=$1
    rm -f "$root"/etc/ssh/ssh_host_*
    rm -f "$root/etc/.resolv.conf.systemd-resolved.bak"   # the build host's resolver, saved by resolved's postinst
    : >"$root/etc/machine-id"          # empty: systemd uses a transient id until firstboot commits one
    mkdir -p "$root/var/lib/dbus"
    rm -f "$root/var/lib/dbus/machine-id"
    ln -s /etc/machine-id "$root/var/lib/dbus/machine-id"
    rm -f "$root/var/lib/systemd/random-seed" "$root/var/lib/systemd/credential.secret"
    rm -rf "$root"/var/log/* "$root"/var/cache/* "$root"/tmp/* "$root"/var/tmp/*
    passwd_locked_root "$root"
}

# No password logins: root's password field must be locked (mmdebstrap leaves '*', check it stays so).
passwd_locked_root() {
    local root=$1 field
    field=$(awk -F: '$1 == "root" { print $2 }' "$root/etc/shadow")
    [[ $field == '*' || $field == '!'* ]] || die "root has a usable password in the rootfs"
}

enable_units() {
    local root=$1
    systemctl --root="$root" enable "${ENABLE_UNITS[@]}" >/dev/null 2>&1 ||
        die "systemctl --root enable failed for ${ENABLE_UNITS[*]}"
    # An empty machine-id makes systemd treat every boot until firstboot commits one as a "first boot";
    # systemd-firstboot would then prompt on the console and hold the boot. Our own firstboot replaces it.
    # e2scrub needs LVM snapshots (none here) and held the emulated boot for minutes.
    systemctl --root="$root" mask systemd-firstboot.service e2scrub_reap.service e2scrub_all.timer >/dev/null 2>&1
    # networkd/resolved provide DNS; point the resolver at resolved's stub.
    ln -sfn ../run/systemd/resolve/stub-resolv.conf "$root/etc/resolv.conf"
}

# Move the writable state out of the root tree into the data partition tree; leave empty mount points.
split_data() {
    local root=$1 data=$2 journal_gid
    journal_gid=$(awk -F: '$1 == "systemd-journal" { print $3 }' "$root/etc/group")
    mkdir -p "$data"
    install -d -m 0750 -o "$SERVICE_UID" -g "$SERVICE_UID" "$data/kalki-edge"
    install -d -m 2755 -o 0 -g "${journal_gid:-0}" "$data/journal"
    install -d -m 0700 "$data/ssh"
    mkdir -p "$data/systemd"
    cp -a "$root/var/lib/systemd/." "$data/systemd/"
    rm -rf "$root/var/lib/systemd"
    mkdir -p "$root/var/lib/systemd" "$root/var/lib/kalki-edge" "$root/var/log/journal" "$root/data"
    install -d -m 0700 "$data/rauc"   # RAUC's slot status (installed bundle, hash, time)
}

# The FAT partition: everything raspi-firmware put in /boot/firmware, plus the site config.
split_boot() {
    local root=$1 boot=$2
    mkdir -p "$boot"
    cp -a "$root/boot/firmware/." "$boot/"
    rm -rf "${root:?}/boot/firmware"
    mkdir -p "$root/boot/firmware"
    [[ -n $(compgen -G "$boot/vmlinuz-*") ]] || die "no kernel in /boot/firmware: raspi-firmware hook did not run"
    [[ -n $(compgen -G "$boot/initrd.img-*") ]] || die "no initrd in /boot/firmware"
    slot_kernel "$root"
    install -m 0644 "$IMAGE_BUILD_DIR/boot/kalki.yaml" "$boot/kalki.yaml"
    fix_cmdline "$boot/cmdline.txt"
    boot_script "$boot/cmdline.txt" "$boot/boot.scr"
    pi_uboot "$root" "$boot"
}

# The Pi firmware starts U-Boot (Debian's u-boot-rpi, rpi_arm64: Pi 3 and Pi 4), which runs boot.scr as QEMU's U-Boot
# does: the kernel and initrd come from the chosen root slot, so the FAT keeps no kernel of its own (a copy there would
# be slot A's, stale after the first update). The firmware still loads the board's DTB and passes it to U-Boot.
pi_uboot() {
    local root=$1 boot=$2 uboot=$1/usr/lib/u-boot/rpi_arm64/u-boot.bin
    [[ -f $uboot ]] || die "no $uboot in the rootfs (u-boot-rpi in rootfs/packages.list)"
    install -m 0644 "$uboot" "$boot/u-boot.bin"
    grep -q '^kernel=' "$boot/config.txt" || die "config.txt from raspi-firmware has no kernel= line"
    sed -i -e 's/^kernel=.*/kernel=u-boot.bin/' -e '/^initramfs /d' -e '/initramfs directive/,+1d' "$boot/config.txt"
    rm -f "$boot"/vmlinuz-* "$boot"/initrd.img-*
    rm -rf "${root:?}/usr/lib/u-boot"   # copied where the Pi firmware reads it; nothing on the appliance uses it
}

# U-Boot loads kernel and initrd from the root slot it boots (boot.cmd), so an update brings its own kernel:
# one pair under fixed names in the root's /boot.
slot_kernel() {
    local root=$1 kernel
    kernel=$(compgen -G "$root/boot/vmlinuz-*" | sort -V | tail -n1)
    [[ -n $kernel ]] || die "no kernel in the root's /boot"
    mv "$kernel" "$root/boot/vmlinuz"
    mv "${kernel/vmlinuz-/initrd.img-}" "$root/boot/initrd.img"
    rm -f "$root"/boot/vmlinuz-* "$root"/boot/initrd.img-*
}

# boot.scr from uboot/boot.cmd: the attempt counters' location (assemble.sh, fw_env.config) and the kernel
# command line of cmdline.txt filled in, then wrapped by mkimage as a U-Boot script image.
boot_script() {
    local cmdline=$1 out=$2 args consoles
    args=$(tr ' ' '\n' <"$cmdline" | grep -vE '^(ro|rw|root=.*|console=.*)?$' | paste -sd' ')
    consoles=$(tr ' ' '\n' <"$cmdline" | grep -E '^console=' | paste -sd' ')
    sed -e "s|@CMDLINE@|$args|; s|@CONSOLES@|$consoles|; s|@DISK_ID@|$DISK_ID|g" \
        -e "s|@ENV_SECTOR@|$ENV_SECTOR|g; s|@ENV_SECTORS@|$ENV_SECTORS|g; s|@ENV_SIZE@|$ENV_SIZE|g" \
        -e "s|@ATTEMPTS@|$BOOT_ATTEMPTS|g" "$IMAGE_BUILD_DIR/uboot/boot.cmd" >"$out.cmd"
    ! grep -n '@[A-Z_]*@' "$out.cmd" || die "unfilled placeholder in boot.cmd"
    mkimage -A arm64 -O linux -T script -C none -n "KalkiEdge A/B boot" -d "$out.cmd" "$out" >/dev/null
    rm -f "$out.cmd"
}

# raspi-firmware's cmdline.txt names the root as /dev/mmcblk0p2 (wrong for USB boot and for the virtio test
# disk), mounts it read-write, and turns off predictable interface names (USB adapters would become
# eth1/eth2 in probe order). The Pi firmware's direct boot takes slot A by partition id (both slots carry
# the same file system label), read-only, with stable names (end0, enp1s0u1, …).
fix_cmdline() {
    local file=$1 kept
    [[ -f $file ]] || die "no cmdline.txt from raspi-firmware"
    kept=$(tr ' ' '\n' <"$file" | grep -vE '^(rw|ro|root=.*|net\.ifnames=.*)?$' | paste -sd' ')
    printf '%s root=PARTUUID=%s-02 ro\n' "$kept" "$DISK_ID" >"$file"
}

main() {
    (($# == 6)) || die "usage: stage-tree.sh ROOTFS_TAR PAYLOAD_DIR SHIM_SO VERSION KEYRING OUT_DIR"
    local tar=$1 payload=$2 shim=$3 version=$4 keyring=$5 out=$6
    require_root "the tree stage"
    local tmp="$out.partial"
    rm -rf "$tmp"
    mkdir -p "$tmp"
    unpack_rootfs "$tar" "$tmp/root"
    mv "$tmp/root/.kalki-packages.tsv" "$tmp/packages.tsv"
    trim_root "$tmp/root"
    install_overlay "$tmp/root"
    install_payload "$payload" "$shim" "$tmp/root"
    install_rauc "$tmp/root" "$keyring"
    write_release "$tmp/root" "$version"
    enable_units "$tmp/root"
    scrub_identity "$tmp/root"
    split_data "$tmp/root" "$tmp/data"
    split_boot "$tmp/root" "$tmp/boot"
    rm -rf "$out"
    mv "$tmp" "$out"
}

main "$@"
