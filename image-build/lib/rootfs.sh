#!/usr/bin/env bash
# Stage (a): the Debian bookworm arm64 root file system, as a tarball cached by a hash of its inputs.
# Prints the path of the cached tarball on stdout. Slow (~10-20 min under emulation), so it is built once.
set -euo pipefail
# shellcheck source=common.sh
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"

SUITE=bookworm
COMPONENTS="main non-free-firmware"
ROOTFS_INPUTS="$IMAGE_BUILD_DIR/rootfs"

# The mirror the host's apt already uses (reachable from here), from the deb822 sources of Debian 12.
host_mirror() {
    local suite=$1 sources=/etc/apt/sources.list.d/debian.sources
    [[ -r $sources ]] || die "cannot read $sources to find the Debian mirror (set KALKI_MIRROR / KALKI_SECURITY_MIRROR)"
    # Print the URIs of the stanza whose Suites list $suite.
    awk -v want="$suite" '
        /^URIs:/   { uris = $2 }
        /^Suites:/ { for (i = 2; i <= NF; i++) if ($i == want) found = uris }
        /^$/       { uris = "" }
        END        { if (found != "") print found }' "$sources"
}

# Our own source lines: the host lists only `main`; raspi-firmware and firmware-brcm80211 live in non-free-firmware.
source_lines() {
    local mirror security
    mirror=${KALKI_MIRROR:-$(host_mirror "$SUITE")}
    security=${KALKI_SECURITY_MIRROR:-$(host_mirror "$SUITE-security")}
    [[ -n $mirror ]] || die "no mirror for $SUITE found in the host's apt sources"
    echo "deb $mirror $SUITE $COMPONENTS"
    echo "deb $mirror $SUITE-updates $COMPONENTS"
    [[ -z $security ]] || echo "deb $security $SUITE-security $COMPONENTS"
}

package_csv() {
    grep -v '^[[:space:]]*#' "$ROOTFS_INPUTS/packages.list" | awk 'NF { print $1 }' | paste -sd, -
}

build_rootfs_tar() {
    local out=$1 sources=$2
    local tmp="$out.partial"
    rm -f "$tmp"
    # --variant=essential: apt runs from the host, so the target gets no apt and no compilers.
    # Docs, man pages and locales are left out: nobody reads them on a read-only appliance.
    mmdebstrap --mode=root --arch=arm64 --variant=essential --format=tar \
        --include="$(package_csv)" \
        --dpkgopt='path-exclude=/usr/share/man/*' \
        --dpkgopt='path-exclude=/usr/share/locale/*' \
        --dpkgopt='path-include=/usr/share/locale/locale.alias' \
        --dpkgopt='path-exclude=/usr/share/doc/*' \
        --dpkgopt='path-include=/usr/share/doc/*/copyright' \
        --dpkgopt='path-exclude=/usr/share/info/*' \
        --essential-hook="$ROOTFS_INPUTS/essential-hook.sh \"\$1\"" \
        --customize-hook="$ROOTFS_INPUTS/customize-hook.sh \"\$1\" $ROOTFS_INPUTS/initramfs-modules" \
        "$SUITE" "$tmp" - <<<"$sources"
    mv "$tmp" "$out"
}

main() {
    require_root "the rootfs stage"
    mkdir -p "$CACHE_DIR"
    local sources key out
    sources=$(source_lines)
    key=$(hash_inputs "$ROOTFS_INPUTS" "$sources" "$(sha256sum <"${BASH_SOURCE[0]}")")
    out="$CACHE_DIR/rootfs-$key.tar"
    if [[ -f $out ]]; then
        log "rootfs: cached $(basename "$out")"
    else
        log "rootfs: building $(basename "$out") (arm64 under qemu-user; takes a while)"
        timed "rootfs" build_rootfs_tar "$out" "$sources"
        prune_cache 'rootfs-*.tar' 2
    fi
    echo "$out"
}

main "$@"
