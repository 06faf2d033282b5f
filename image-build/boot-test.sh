#!/usr/bin/env bash
# Boot the built SD image under qemu-system-aarch64 -M virt through Debian's U-Boot (the image's boot.scr picks
# root slot A) and check the firmware's /health and that kalki-mark-good confirmed the slot, then inspect what
# first boot left on the card. Boots the shipped artifact (out/image/*.img.xz, checksum verified), through a
# throw-away qcow2 overlay that is larger than the image so the data partition has room to grow.
#
# Environment (optional): IMAGE (path to .img.xz/.img.zst/.img), OUT_DIR (default out/image),
#   BOOT_TIMEOUT seconds (default 600: boot under TCG on a busy 2-core host takes minutes, a JIT build's start more), WATCHDOG_CHECK=0 skips the 75 s watchdog observation,
#   KEEP_WORK=1 keeps the overlay disk in image-build/work/boot-test.
set -euo pipefail
# shellcheck source=lib/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"
# shellcheck source=lib/layout.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib/layout.sh"
# shellcheck source=lib/qemu.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib/qemu.sh"

OUT_DIR=${OUT_DIR:-$REPO_ROOT/out/image}
BOOT_TIMEOUT=${BOOT_TIMEOUT:-600}
WORK=$IMAGE_BUILD_DIR/work/boot-test
readonly GROW_MIB=512       # the emulated card is this much larger than the image
readonly GUEST_PORT=8080    # management.listen in image-build/boot/kalki.yaml
readonly WATCHDOG_SEC=60    # WatchdogSec= in kalki-edge.service
# The unit's ExecStartPost prints this on the console; systemd runs it only after the firmware sent READY=1.
readonly READY_LINE='kalki-edge: READY'
QEMU_PID=""

cleanup() {
    stop_qemu
    [[ ${KEEP_WORK:-0} == 1 ]] ||
        rm -rf "$WORK/disk.qcow2" "$WORK/after.img" "$WORK/data.ext4" "$WORK/journal" "$WORK/monitor.sock"
}

fail() {
    log "FAIL: $*"
    if [[ -f $WORK/serial.log ]]; then
        echo "----- serial log (last 300 lines of $WORK/serial.log) -----" >&2
        plain_serial_log | tail -n 300 >&2
        echo "----- end of serial log -----" >&2
    fi
    print_guest_journal || log "(could not read the guest's journal)"
    exit 1
}

# The journal is persistent on KALKIDATA: power the guest off (journald flushes) and read it from the disk.
print_guest_journal() {
    [[ -f $WORK/disk.qcow2 ]] || return 0
    [[ -n $QEMU_PID ]] && shutdown_guest
    extract_data_partition
    rm -rf "$WORK/journal" && mkdir -p "$WORK/journal"
    debugfs -R "rdump /journal $WORK/journal" "$WORK/data.ext4" >/dev/null 2>&1
    echo "----- guest journal: kalki units and failures -----" >&2
    journalctl -D "$WORK/journal/journal" --no-pager -o short-monotonic \
        -u kalki-edge.service -u kalki-firstboot.service -u kalki-growdata.service -u kalki-mark-good.service -u rauc.service >&2 || true
    journalctl -D "$WORK/journal/journal" --no-pager -o short-monotonic -p warning >&2 || true
    echo "----- end of guest journal -----" >&2
}

extract_data_partition() { data_partition_image "$WORK/disk.qcow2" "$WORK/data.ext4"; }

ready_count() { plain_serial_log | grep -Ec "$READY_LINE" || true; }

# READY=1 reached systemd (Type=notify), and WATCHDOG=1 keeps coming: after more than WatchdogSec the
# service must still be the same instance (no watchdog kill + restart) and still answer.
check_ready_and_watchdog() {
    local port=$1 n
    n=$(ready_count)
    ((n >= 1)) || fail "systemd never reported kalki-edge.service started (no READY=1?)"
    log "systemd saw READY=1; watching for $((WATCHDOG_SEC + 15)) s to see the watchdog kept fed"
    sleep $((WATCHDOG_SEC + 15))
    curl -fsS --insecure --max-time 10 "https://127.0.0.1:$port/health" >/dev/null || fail "/health stopped answering"
    n=$(ready_count)
    ((n == 1)) || fail "kalki-edge.service started $n times (watchdog timeout or crash loop)"
    plain_serial_log | grep -q 'kalki-edge.service: Watchdog timeout' && fail "watchdog timeout"
    log "watchdog ok: one start, still answering"
}

# The boot script chose slot A and, once kalki-edge was healthy, kalki-mark-good gave the slot its attempts back.
check_slot_marked_good() {
    plain_serial_log | grep "kalki-boot: booting slot A" >/dev/null || fail "U-Boot's boot script did not boot slot A"
    local deadline=$((SECONDS + 300))
    until plain_serial_log | grep "kalki-mark-good: slot A is healthy" >/dev/null; do
        ((SECONDS < deadline)) || fail "kalki-mark-good did not mark slot A good within 300 s of /health"
        sleep 5
    done
    log "slot A booted by U-Boot and marked good"
}

check_boot_state() {
    local state
    state=$(boot_state "$WORK/disk.qcow2" | tr '\n' ' ')
    log "boot state on the card: $state"
    [[ $state == *"BOOT_ORDER=A B"* && $state == *"BOOT_A_LEFT=$BOOT_ATTEMPTS"* ]] || fail "boot state is not 'A first, A confirmed': $state"
}

# After power-off: what did first boot do to the card?
inspect_card() {
    local after=$WORK/after.img size_mib
    extract_data_partition
    size_mib=$(sfdisk -d "$after" | awk -v dev="${after}$PART_DATA" '$1 == dev { sub(/,/, "", $6); print int($6 / 2048) }')
    log "data partition after first boot: ${size_mib} MiB (image had $(data_part_mib "$BASE_IMG") MiB)"
    (( size_mib > $(data_part_mib "$BASE_IMG") )) || fail "data partition was not grown on first boot"
    local keys
    keys=$(debugfs -R 'ls -p /kalki-edge/keys' "$WORK/data.ext4" 2>/dev/null | awk -F/ 'NF > 5 && $6 != "." && $6 != ".." { print $6 }' | sort | tr '\n' ' ')
    log "keys generated on first boot: ${keys:-none}"
    [[ $keys == *tls.crt* && $keys == *hypervisor-emu.key* ]] || fail "first-boot keys missing on the data partition"
    local fs_size
    fs_size=$(dumpe2fs -h "$WORK/data.ext4" 2>/dev/null | awk -F: '/^Block count/ { print int($2 * 4 / 1024) }')
    log "data file system grown to ${fs_size} MiB"
}

data_part_mib() {
    sfdisk -d "$1" | awk -v dev="${1}$PART_DATA" '$1 == dev { sub(/,/, "", $6); print int($6 / 2048) }'
}

main() {
    mkdir -p "$WORK"
    trap cleanup EXIT
    local image port base_mib
    image=$(find_image)
    log "boot test of $image"
    BASE_IMG=$(pristine_raw "$image")
    base_mib=$(($(stat -c %s "$BASE_IMG") / 1048576))
    rm -f "$WORK/disk.qcow2" "$WORK/serial.log"
    qemu-img create -q -f qcow2 -b "$BASE_IMG" -F raw "$WORK/disk.qcow2" "$((base_mib + GROW_MIB))M"
    port=$(free_port)
    BOOT_START=$SECONDS
    # -no-reboot: a panic, or U-Boot giving up on the card, ends the test instead of looping.
    start_qemu "$WORK/disk.qcow2" "$port" -no-reboot
    log "qemu pid $QEMU_PID, /health forwarded to 127.0.0.1:$port, timeout ${BOOT_TIMEOUT} s"
    wait_for_health "$port"
    check_slot_marked_good
    [[ ${WATCHDOG_CHECK:-1} == 1 ]] && check_ready_and_watchdog "$port"
    shutdown_guest
    check_boot_state
    inspect_card
    log "PASS: U-Boot booted slot A, service ready, /health ok, slot marked good, first boot grew the data partition and made keys"
}

main "$@"
