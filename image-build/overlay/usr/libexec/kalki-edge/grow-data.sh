#!/bin/bash
# Grow the partition mounted at $1 (must be the last one on its disk) and its ext4 file system
# to the end of the disk. Online: the partition stays mounted; no-op once grown.
set -euo pipefail

MOUNTPOINT=${1:?usage: grow-data.sh MOUNTPOINT}
MIN_GAIN_SECTORS=$((16 * 2048)) # ignore < 16 MiB of slack (alignment leftovers)

log() { echo "kalki-growdata: $*"; }

main() {
    local part name sys disk partno start size disk_size end free
    part=$(findmnt -no SOURCE "$MOUNTPOINT")
    name=$(basename "$(readlink -f "$part")")
    sys=/sys/class/block/$name
    [[ -f $sys/partition ]] || { log "$part is not a partition; nothing to grow"; exit 0; }
    disk=/dev/$(basename "$(readlink -f "$sys/..")")
    partno=$(<"$sys/partition")
    start=$(<"$sys/start")
    size=$(<"$sys/size")
    disk_size=$(<"/sys/class/block/$(basename "$disk")/size")
    end=$((start + size))
    free=$((disk_size - end))
    if ((free < MIN_GAIN_SECTORS)); then
        log "$part already fills $disk"
        exit 0
    fi
    log "growing $part (partition $partno of $disk) by $((free / 2048)) MiB"
    # Rewrite only this entry, to the end of the disk; the kernel is told with partx because
    # the disk is busy (root is mounted from it) and a full re-read would be refused.
    echo ', +' | sfdisk --no-reread --no-tell-kernel -N "$partno" "$disk"
    partx -u --nr "$partno" "$disk"
    resize2fs "$part"
    log "now $(df -h --output=size "$MOUNTPOINT" | tail -n1 | tr -d ' ')"
}

main "$@"
