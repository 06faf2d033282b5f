#!/usr/bin/env bash
# Build the flashable KalkiEdge SD image: out/image/kalki-edge-<version>-arm64.img.xz (+ .sha256, .packages.tsv).
#
# Stages, each cached in image-build/cache/ under a hash of its inputs (re-runs are fast):
#   (a) rootfs   lib/rootfs.sh      Debian bookworm arm64 via mmdebstrap      inputs: rootfs/, mirror
#   (b) tree     lib/stage-tree.sh  + firmware payload, units, config         inputs: (a), overlay/, boot/, payload
#   (c) image    lib/assemble.sh    FAT + ext4 + ext4, MBR, joined with dd    inputs: (b)
# then compression into out/image/.
#
# Environment (all optional; `make image` passes the first three):
#   PAYLOAD_DIR  linux-arm64 self-contained publish output   (default out/publish/linux-arm64)
#   SHIM_SO      arm64 native shim                           (default out/shim/arm64/libkalkishim.so)
#   OUT_DIR      where the image goes                        (default out/image)
#   VERSION      product version (default: <Version> in Directory.Build.props)
#   COMPRESS     xz (default, for releases) | zstd (fast, for development loops)
#   ROOTFS_ONLY  1 = stop after stage (a)  (`make image-rootfs`)
#   BUNDLE       1 = after stage (b), the signed RAUC update bundle out/image/kalki-edge-<version>-arm64.raucb
#                instead of the image (`make bundle`): the same root tree the image's root partition is made of
#   BUNDLE_CA    the bundle signer (lib/dev-ca.sh layout; default: the build's development CA in the cache)
set -euo pipefail
# shellcheck source=lib/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"

PAYLOAD_DIR=${PAYLOAD_DIR:-$REPO_ROOT/out/publish/linux-arm64}
SHIM_SO=${SHIM_SO:-$REPO_ROOT/out/shim/arm64/libkalkishim.so}
OUT_DIR=${OUT_DIR:-$REPO_ROOT/out/image}
COMPRESS=${COMPRESS:-xz}
LIB=$IMAGE_BUILD_DIR/lib

check_payload() {
    [[ -x $PAYLOAD_DIR/kalki-edge ]] ||
        die "no firmware at $PAYLOAD_DIR/kalki-edge — run 'make publish' first (or set PAYLOAD_DIR)"
    [[ -f $SHIM_SO ]] || die "no arm64 shim at $SHIM_SO — run 'make shim-arm64' first (or set SHIM_SO)"
}

# Stage (b), cached as a directory of the three partition trees. The image trusts bundles of BUNDLE_CA only.
build_tree() {
    local rootfs=$1 version=$2 key tree keyring
    keyring=$(bundle_ca)/ca.cert.pem
    key=$(hash_inputs "$(basename "$rootfs")" "$IMAGE_BUILD_DIR/overlay" "$IMAGE_BUILD_DIR/boot" \
        "$IMAGE_BUILD_DIR/uboot" "$IMAGE_BUILD_DIR/rauc" "$keyring" \
        "$PAYLOAD_DIR" "$SHIM_SO" "$version" "$LIB/stage-tree.sh" "$LIB/trim.sh" "$LIB/layout.sh")
    tree="$CACHE_DIR/tree-$key"
    if [[ -d $tree ]]; then
        log "tree: cached $(basename "$tree")"
    else
        log "tree: building $(basename "$tree")"
        timed "tree" "$LIB/stage-tree.sh" "$rootfs" "$PAYLOAD_DIR" "$SHIM_SO" "$version" "$keyring" "$tree" >&2
        prune_cache 'tree-*' 1
    fi
    echo "$tree"
}

# Stage (c), cached as the raw image.
build_raw_image() {
    local tree=$1 key img
    key=$(hash_inputs "$(basename "$tree")" "$LIB/assemble.sh" "$LIB/layout.sh")
    img="$CACHE_DIR/image-$key.img"
    if [[ -f $img ]]; then
        log "image: cached $(basename "$img")"
    else
        log "image: assembling $(basename "$img")"
        timed "assemble" "$LIB/assemble.sh" "$tree" "$img" >&2
        prune_cache 'image-*.img' 1
    fi
    echo "$img"
}

# The bundle signer: BUNDLE_CA, else the build's development CA (made on first use: never committed). Its
# certificate is the image's keyring, so images and bundles from one build cache trust each other.
bundle_ca() {
    local ca=${BUNDLE_CA:-$CACHE_DIR/dev-ca}
    "$LIB/dev-ca.sh" "$ca" >&2
    echo "$ca"
}

# The update bundle of the tree's root, signed by the bundle CA.
build_bundle() {
    local tree=$1 version=$2 ca
    local out="$OUT_DIR/kalki-edge-$version-arm64.raucb"
    ca=$(bundle_ca)
    mkdir -p "$OUT_DIR"
    timed "bundle" "$LIB/bundle.sh" "$tree/root" "$version" "$ca" "$out"
    install -m 0644 "$ca/ca.cert.pem" "$OUT_DIR/kalki-edge-bundle-keyring.pem"   # public: the image's trust anchor
    log "bundle:     $out (keyring: $OUT_DIR/kalki-edge-bundle-keyring.pem)"
}

compress_image() {
    local raw=$1 dest=$2
    case $COMPRESS in
        # Releases use xz: Raspberry Pi Imager and balenaEtcher both flash .img.xz directly (Etcher cannot
        # read .zst). -T2: the build host has two cores. Slow on a busy host (minutes; see README), so
        # development loops use COMPRESS=zstd (≈ 75 s, ≈ 155 MiB here), which Imager and the boot test accept.
        xz)   xz -T2 -6 -c "$raw" >"$dest.partial" ;;
        zstd) zstd -q -T2 -10 -c "$raw" >"$dest.partial" ;;
        *)    die "COMPRESS must be xz or zstd, not '$COMPRESS'" ;;
    esac
    mv "$dest.partial" "$dest"
}

publish() {
    local raw=$1 tree=$2 version=$3
    local base="$OUT_DIR/kalki-edge-$version-arm64"
    local packed="$base.img.${COMPRESS/zstd/zst}"
    mkdir -p "$OUT_DIR"
    # Recompress unless the packed file was made from this very raw image (its cache name is its input hash).
    local source_note="$CACHE_DIR/${packed##*/}.source"
    if [[ ! -f $packed || $(cat "$source_note" 2>/dev/null) != "$(basename "$raw")" ]]; then
        log "compressing with $COMPRESS"
        timed "compress" compress_image "$raw" "$packed"
        basename "$raw" >"$source_note"
    fi
    (cd "$OUT_DIR" && sha256sum "$(basename "$packed")" >"$(basename "$packed").sha256")
    cp "$tree/packages.tsv" "$base.packages.tsv"
    # The boot test finds the image through this pointer (and so tests what was shipped).
    printf '%s\n' "$(basename "$packed")" >"$OUT_DIR/latest"
    report_sizes "$raw" "$packed" "$tree"
}

report_sizes() {
    local raw=$1 packed=$2 tree=$3
    local raw_mib packed_mib
    raw_mib=$(($(stat -c %s "$raw") / 1048576))
    packed_mib=$(($(stat -c %s "$packed") / 1048576))
    log "image:      $packed"
    log "raw size:   ${raw_mib} MiB (target < 1024)   compressed: ${packed_mib} MiB (target < 250)"
    log "trees:      boot $(du -sm "$tree/boot" | cut -f1) MiB, root $(du -sm "$tree/root" | cut -f1) MiB, packages $(wc -l <"$tree/packages.tsv")"
    ((raw_mib < 1024)) || log "WARNING: raw image exceeds 1 GiB"
    ((packed_mib < 250)) || log "WARNING: compressed image exceeds 250 MiB"
}

main() {
    require_root "make image"
    local start=$SECONDS version rootfs tree raw
    "$LIB/host-deps.sh" >&2
    rootfs=$("$LIB/rootfs.sh")
    [[ ${ROOTFS_ONLY:-0} == 1 ]] && { log "rootfs ready: $rootfs"; return; }
    check_payload
    version=$(product_version)
    tree=$(build_tree "$rootfs" "$version")
    if [[ ${BUNDLE:-0} == 1 ]]; then
        build_bundle "$tree" "$version"
        log "make bundle done in $((SECONDS - start)) s"
        return
    fi
    raw=$(build_raw_image "$tree")
    publish "$raw" "$tree" "$version"
    log "make image done in $((SECONDS - start)) s"
}

main "$@"
