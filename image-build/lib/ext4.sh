# shellcheck shell=bash
# ext4 file systems from a directory tree, shared by the SD image (assemble.sh) and the update bundle
# (bundle.sh), so that a bundle's root file system is built exactly as the image's. Sourced, never executed.

# The first partition starts at 4 MiB (SD erase-block aligned, room for the MBR); sizes are rounded to it.
readonly ALIGN_MIB=4
# Root = blocks used by the tree + 4% + 32 MiB (journal, inode tables). Measured: leaves ≈ 60 MiB free; the
# root is read-only, so free space there is waste. mke2fs -d fails loudly if it ever gets too tight.
readonly ROOT_SLACK_PCT=4
readonly ROOT_EXTRA_MIB=32

round_up_mib() { local v=$1; echo $(((v + ALIGN_MIB - 1) / ALIGN_MIB * ALIGN_MIB)); }

make_ext4() {
    local label=$1 src=$2 out=$3 mib=$4; shift 4
    rm -f "$out"
    truncate -s "${mib}M" "$out"   # an existing file keeps mke2fs from announcing "Creating regular file"
    # 4 KiB blocks even for small file systems (mke2fs would pick 1 KiB "small" blocks below 512 MiB).
    mke2fs -q -F -t ext4 -b 4096 -L "$label" -m 0 -d "$src" "$@" "$out" "${mib}M"
}

root_size_mib() {
    local tree=$1 used
    used=$(du -s --block-size=1M "$tree" | cut -f1)
    round_up_mib $((used * (100 + ROOT_SLACK_PCT) / 100 + ROOT_EXTRA_MIB))
}

