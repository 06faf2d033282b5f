#!/usr/bin/env bash
# Install and enable what the image pipeline needs on a Debian 12 build host.
# Idempotent: does nothing when every tool is present and binfmt is registered.
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=common.sh
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"

# command -> Debian package providing it
declare -A HOST_TOOLS=(
    [mmdebstrap]=mmdebstrap
    [qemu-aarch64-static]=qemu-user-static
    [update-binfmts]=binfmt-support
    [mcopy]=mtools
    [mkfs.vfat]=dosfstools
    [mke2fs]=e2fsprogs
    [sfdisk]=fdisk
    [xz]=xz-utils
    [qemu-system-aarch64]=qemu-system-arm
    [qemu-img]=qemu-utils
    # boot.scr (mkimage) and the initial boot state block (mkenvimage); U-Boot itself for the QEMU tests
    [mkimage]=u-boot-tools
    [mkenvimage]=u-boot-tools
    # mmdebstrap refuses foreign architectures without it
    [arch-test]=arch-test
    [curl]=curl
    [python3]=python3
)

install_missing_packages() {
    local cmd missing=()
    for cmd in "${!HOST_TOOLS[@]}"; do
        command -v "$cmd" >/dev/null || missing+=("${HOST_TOOLS[$cmd]}")
    done
    # arm64 keyring comes with debian-archive-keyring on the host; mmdebstrap verifies with it.
    [[ -f /usr/share/keyrings/debian-archive-keyring.gpg ]] || missing+=(debian-archive-keyring)
    [[ -f $QEMU_UBOOT ]] || missing+=(u-boot-qemu)
    ((${#missing[@]})) || return 0
    require_root "installing host packages"
    log "installing host packages: ${missing[*]}"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}

# Without a mounted binfmt_misc, qemu-user-static registers nothing and mmdebstrap --arch=arm64 fails
# at the first maintainer script (measured on these machines).
enable_binfmt_arm64() {
    [[ -e /proc/sys/fs/binfmt_misc/qemu-aarch64 ]] && return 0
    require_root "registering binfmt for arm64"
    mountpoint -q /proc/sys/fs/binfmt_misc || mount -t binfmt_misc binfmt_misc /proc/sys/fs/binfmt_misc
    update-binfmts --enable qemu-aarch64
    [[ -e /proc/sys/fs/binfmt_misc/qemu-aarch64 ]] || die "binfmt handler qemu-aarch64 did not register"
}

main() {
    install_missing_packages
    enable_binfmt_arm64
    log "host tools ready"
}

main "$@"
