#!/usr/bin/env bash
# Stage (c): partition images from the trees of stage (b), joined into one raw SD image. No loop mounts:
# mtools fills the FAT, `mke2fs -d` fills the ext4 file systems, sfdisk writes the table, dd joins them.
# Layout (lib/layout.sh): boot, root slot A (the tree), root slot B (empty until the first update), data; the
# U-Boot boot state (both slots BOOT_ATTEMPTS attempts, A first) in the gap before partition 1.
# Usage: assemble.sh TREE_DIR OUT_IMG
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=common.sh
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"
# shellcheck source-path=SCRIPTDIR source=ext4.sh
source "$(dirname "${BASH_SOURCE[0]}")/ext4.sh"
# shellcheck source-path=SCRIPTDIR source=layout.sh
source "$(dirname "${BASH_SOURCE[0]}")/layout.sh"

# Layout in MiB (ALIGN_MIB and the root size: ext4.sh).
readonly BOOT_MIB=${KALKI_BOOT_MIB:-128}   # kernel + initrd + Pi firmware + DTBs ≈ 60 MiB; room for one more kernel
readonly DATA_MIB=${KALKI_DATA_MIB:-64}    # grown to fill the card on first boot (kalki-growdata)
readonly DATA_MAX_GIB=1024                 # online-resize reservation: cards up to 1 TiB
# Each root slot has room for a root this much larger than today's: an update may grow (RAUC refuses an image
# larger than its slot). The empty slot B costs nothing compressed.
readonly SLOT_HEADROOM_PCT=${KALKI_SLOT_HEADROOM_PCT:-20}

make_boot_fs() {
    local src=$1 out=$2
    rm -f "$out"
    mkfs.vfat -F 32 -n RASPIFIRM -C "$out" $((BOOT_MIB * 1024)) >/dev/null
    # -s recursive, -p keep times, -Q quit on first error, -m keep mtimes
    mcopy -i "$out" -s -p -Q -m "$src"/* ::
}

write_table() {
    local img=$1 slot_mib=$2
    local boot_start=$ALIGN_MIB
    local a_start=$((boot_start + BOOT_MIB))
    local b_start=$((a_start + slot_mib))
    local data_start=$((b_start + slot_mib))
    # MBR, not GPT: the Pi 3 boot ROM reads only MBR. Type c = FAT32 LBA (the Pi firmware's requirement).
    # The fixed label-id names the partitions PARTUUID=$DISK_ID-0N, which the boot script and RAUC use.
    sfdisk --quiet "$img" <<TABLE
label: dos
label-id: 0x$DISK_ID
unit: sectors
start=$((boot_start * 2048)), size=$((BOOT_MIB * 2048)), type=c, bootable
start=$((a_start * 2048)), size=$((slot_mib * 2048)), type=83
start=$((b_start * 2048)), size=$((slot_mib * 2048)), type=83
start=$((data_start * 2048)), size=$((DATA_MIB * 2048)), type=83
TABLE
}

# The initial boot state: slot A first, every slot its attempts (the block fw_setenv and boot.scr share).
write_boot_state() {
    local img=$1 env=$2
    printf 'BOOT_ORDER=A B\nBOOT_A_LEFT=%d\nBOOT_B_LEFT=%d\n' "$BOOT_ATTEMPTS" "$BOOT_ATTEMPTS" >"$env.txt"
    mkenvimage -s $((ENV_SIZE)) -o "$env" "$env.txt"
    dd if="$env" of="$img" bs=512 seek=$((ENV_SECTOR)) conv=notrunc status=none
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
    local root_mib slot_mib total_mib
    root_mib=$(root_size_mib "$tree/root")
    slot_mib=$(round_up_mib $((root_mib * (100 + SLOT_HEADROOM_PCT) / 100)))
    total_mib=$((ALIGN_MIB + BOOT_MIB + 2 * slot_mib + DATA_MIB))
    log "layout: boot ${BOOT_MIB} MiB, root slots A and B ${slot_mib} MiB each (root ${root_mib} MiB), data ${DATA_MIB} MiB, image ${total_mib} MiB"

    make_boot_fs "$tree/boot" "$work/boot.vfat"
    make_ext4 RASPIROOT "$tree/root" "$work/root.ext4" "$root_mib"
    make_ext4 KALKIDATA "$tree/data" "$work/data.ext4" "$DATA_MIB" \
        -E "resize=$((DATA_MAX_GIB * 1024 * 256))"

    rm -f "$out.partial"
    truncate -s "${total_mib}M" "$out.partial"
    write_table "$out.partial" "$slot_mib"
    write_boot_state "$out.partial" "$work/boot-state.env"
    place "$work/boot.vfat" "$out.partial" "$ALIGN_MIB"
    place "$work/root.ext4" "$out.partial" $((ALIGN_MIB + BOOT_MIB))
    place "$work/data.ext4" "$out.partial" $((ALIGN_MIB + BOOT_MIB + 2 * slot_mib))
    rm -rf "$work"
    mv "$out.partial" "$out"
}

main "$@"
