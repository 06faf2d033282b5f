#!/usr/bin/env bash
# The RAUC update bundle: the root file system of stage (b), built as the image builds it (ext4.sh), with a
# manifest, signed by the signer in CA_DIR (dev-ca.sh). Usage: bundle.sh ROOT_TREE VERSION CA_DIR OUT.raucb
# The bundle format is `verity` (RAUC checks the payload block by block while installing).
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=common.sh
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"
# shellcheck source-path=SCRIPTDIR source=ext4.sh
source "$(dirname "${BASH_SOURCE[0]}")/ext4.sh"

# Must equal `compatible` in the image's /etc/rauc/system.conf: RAUC refuses a bundle for another product.
readonly COMPATIBLE=kalki-edge-arm64

main() {
    (($# == 4)) || die "usage: bundle.sh ROOT_TREE VERSION CA_DIR OUT.raucb"
    local root=$1 version=$2 ca=$3 out=$4
    [[ -d $root ]] || die "no root tree at $root"
    [[ -f $ca/signing.cert.pem && -f $ca/signing.key.pem ]] || die "no bundle signer in $ca (run lib/dev-ca.sh $ca)"
    local work="$out.content"
    rm -rf "$work" && mkdir -p "$work"
    make_ext4 RASPIROOT "$root" "$work/rootfs.ext4" "$(root_size_mib "$root")"
    cat >"$work/manifest.raucm" <<MANIFEST
[update]
compatible=$COMPATIBLE
version=$version

[bundle]
format=verity

[image.rootfs]
filename=rootfs.ext4
MANIFEST
    rm -f "$out"
    rauc bundle --cert="$ca/signing.cert.pem" --key="$ca/signing.key.pem" "$work" "$out" >/dev/null
    rm -rf "$work"
}

main "$@"
