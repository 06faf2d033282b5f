#!/usr/bin/env bash
# Stage (c): partition images from the trees of stage (b), joined into one raw SD image. No loop mounts:
# mtools fills the FAT, `mke2fs -d` fills the ext4 file systems, sfdisk writes the table, dd joins them.
# Usage: assemble.sh TREE_DIR OUT_IMG
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=common.sh
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"
# shellcheck source-path=SCRIPTDIR source=ext4.sh
source "$(dirname "${BASH_SOURCE[0]}")/ext4.sh"

# Layout in MiB (ALIGN_MIB and the root size: ext4.sh).
readonly BOOT_MIB=${KALKI_BOOT_MIB:-128}   # kernel + initrd + Pi firmware + DTBs ≈ 60 MiB; room for one more kernel
readonly DATA_MIB=${KALKI_DATA_MIB:-64}    # grown to fill the card on first boot (kalki-growdata)
readonly DATA_MAX_GIB=1024                 # online-resize reservation: cards up to 1 TiB

make_boot_fs() {
    local src=$1 out=$2
    rm -f "$out"
    mkfs.vfat -F 32 -n RASPIFIRM -C "$out" $((BOOT_MIB * 1024)) >/dev/null
    # -s recursive, -p keep times, -Q quit on first error, -m keep mtimes
    mcopy -i "$out" -s -p -Q -m "$src"/* ::
}

write_table() {
    local img=$1 root_mib=$2
    local boot_start=$ALIGN_MIB
    local root_start=$((boot_start + BOOT_MIB))
    local data_start=$((root_start + root_mib))
    # MBR, not GPT: the Pi 3 boot ROM reads only MBR. Type c = FAT32 LBA (the Pi firmware's requirement).
    sfdisk --quiet "$img" <<TABLE
label: dos
unit: sectors
start=$((boot_start * 2048)), size=$((BOOT_MIB * 2048)), type=c, bootable
start=$((root_start * 2048)), size=$((root_mib * 2048)), type=83
start=$((data_start * 2048)), size=$((DATA_MIB * 2048)), type=83
TABLE
}

place() {
    local part=$1 img=$2 start_mib=$3
    dd if="$part" of="$img" bs=1M seek="$start_mib" conv=notrunc,sparse status=none
}

main() {
    (($# == 2)) || die "usage: assemble.sh TREE_DIR OUT_IMG"
    local tree=$1 out=$2
    require_root "the assemble stage"
    local work="$out.parts"
    rm -rf "$work" && mkdir -p "$work"
    local root_mib total_mib
    root_mib=$(root_size_mib "$tree/root")
    total_mib=$((ALIGN_MIB + BOOT_MIB + root_mib + DATA_MIB))
    log "layout: boot ${BOOT_MIB} MiB, root ${root_mib} MiB, data ${DATA_MIB} MiB, image ${total_mib} MiB"

    make_boot_fs "$tree/boot" "$work/boot.vfat"
    make_ext4 RASPIROOT "$tree/root" "$work/root.ext4" "$root_mib"
    make_ext4 KALKIDATA "$tree/data" "$work/data.ext4" "$DATA_MIB" \
        -E "resize=$((DATA_MAX_GIB * 1024 * 256))"

    rm -f "$out.partial"
    truncate -s "${total_mib}M" "$out.partial"
    write_table "$out.partial" "$root_mib"
    place "$work/boot.vfat" "$out.partial" "$ALIGN_MIB"
    place "$work/root.ext4" "$out.partial" $((ALIGN_MIB + BOOT_MIB))
    place "$work/data.ext4" "$out.partial" $((ALIGN_MIB + BOOT_MIB + root_mib))
    rm -rf "$work"
    mv "$out.partial" "$out"
}

main "$@"
