#!/usr/bin/env bash
# The Pi's boot path without a Pi: the card's own u-boot.bin (Debian's u-boot-rpi, rpi_arm64) on QEMU's Raspberry Pi 3B
# model (-M raspi3b: BCM2837, SD card on the SoC's SD host), started as the Pi firmware starts it (loaded at 0x80000
# with the card's bcm2837-rpi-3-b.dtb). Checks, on the serial console and on the card afterwards:
#   1. U-Boot finds boot.scr on the SD card's FAT, reads the boot state with `mmc read`, boots slot A, stores the
#      counted attempt with `mmc write` (BOOT_A_LEFT 3 -> 2 on the card), loads slot A's kernel and initrd from its
#      ext4 and starts the kernel;
#   2. with the state RAUC leaves after installing into slot B (BOOT_ORDER="B A") it boots slot B;
#   3. with slot B's attempts used up it falls back to slot A.
# What QEMU cannot show: the Pi's closed boot firmware (start.elf reading config.txt; QEMU loads u-boot.bin itself),
# the Pi 4 (QEMU 7.2 has no raspi4b; the same rpi_arm64 U-Boot binary runs there), and the kernel on the Pi's
# hardware (the kernel starts here, but the Pi model's peripherals are not the Pi's).
# Environment (optional): IMAGE, OUT_DIR, UBOOT_TIMEOUT (seconds per boot, default 300), KEEP_WORK=1.
set -euo pipefail
# shellcheck source=lib/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"
# shellcheck source=lib/layout.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib/layout.sh"
# shellcheck source=lib/qemu.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib/qemu.sh"

OUT_DIR=${OUT_DIR:-$REPO_ROOT/out/image}
UBOOT_TIMEOUT=${UBOOT_TIMEOUT:-300}
WORK=$IMAGE_BUILD_DIR/work/pi-boot-test
readonly PI_DTB=bcm2837-rpi-3-b.dtb
QEMU_PID=""

fail() {
    log "FAIL: $*"
    [[ -f $WORK/serial.log ]] && { echo "----- serial log (last 80 lines) -----" >&2; plain_serial_log | tail -n 80 >&2; }
    exit 1
}

cleanup() {
    stop_qemu
    [[ ${KEEP_WORK:-0} == 1 ]] || rm -f "$WORK/card.img" "$WORK/u-boot.bin" "$WORK/$PI_DTB" "$WORK/env.bin" "$WORK/env.txt"
}

# A private raw copy of the card, grown to a power of two (QEMU's SD card model requires it), with the Pi firmware's
# part of the boot: U-Boot and the board's device tree, read from the card's FAT.
prepare_card() {
    local base=$1 size=1
    cp --sparse=always "$base" "$WORK/card.img"
    while ((size < $(stat -c %s "$base"))); do size=$((size * 2)); done
    truncate -s "$size" "$WORK/card.img"
    local fat="$WORK/card.img@@$(part_offset "$WORK/card.img" "$PART_BOOT")"
    mcopy -o -i "$fat" ::u-boot.bin "$WORK/u-boot.bin" || fail "no u-boot.bin on the boot partition"
    mcopy -o -i "$fat" "::$PI_DTB" "$WORK/$PI_DTB" || fail "no $PI_DTB on the boot partition"
    mtype -i "$fat" ::config.txt | grep -qx 'kernel=u-boot.bin' || fail "config.txt does not start U-Boot (kernel=u-boot.bin)"
}

# set_state ORDER A_LEFT B_LEFT: the boot state block as fw_setenv (RAUC) writes it.
set_state() {
    printf 'BOOT_ORDER=%s\nBOOT_A_LEFT=%d\nBOOT_B_LEFT=%d\n' "$1" "$2" "$3" >"$WORK/env.txt"
    mkenvimage -s $((ENV_SIZE)) -o "$WORK/env.bin" "$WORK/env.txt"
    dd if="$WORK/env.bin" of="$WORK/card.img" bs=512 seek=$((ENV_SECTOR)) conv=notrunc status=none
}

card_state() {
    dd if="$WORK/card.img" bs=512 skip=$((ENV_SECTOR)) count=$((ENV_SECTORS)) status=none | tail -c +5 | tr '\0' '\n' |
        grep -E '^BOOT_(ORDER|A_LEFT|B_LEFT)=' | sort | paste -sd' '
}

# boot_until PATTERN: power the Pi model on and wait for PATTERN on either UART (U-Boot's console is the one the
# device tree's stdout-path names: the mini UART on a Pi 3), then power it off.
boot_until() {
    local pattern=$1 deadline=$((SECONDS + UBOOT_TIMEOUT)) start=$SECONDS
    : >"$WORK/uart0.log"; : >"$WORK/uart1.log"
    qemu-system-aarch64 -M raspi3b -kernel "$WORK/u-boot.bin" -dtb "$WORK/$PI_DTB" \
        -drive "file=$WORK/card.img,if=sd,format=raw" -display none \
        -serial "file:$WORK/uart0.log" -serial "file:$WORK/uart1.log" &
    QEMU_PID=$!
    while ((SECONDS < deadline)); do
        cat "$WORK/uart0.log" "$WORK/uart1.log" >"$WORK/serial.log"
        if plain_serial_log | grep -qE "$pattern"; then
            stop_qemu
            log "'$pattern' after $((SECONDS - start)) s"
            return 0
        fi
        kill -0 "$QEMU_PID" 2>/dev/null || fail "qemu exited before '$pattern'"
        sleep 2
    done
    stop_qemu
    fail "no '$pattern' within $UBOOT_TIMEOUT s"
}

console_has() { plain_serial_log | grep -qE "$1" || fail "not on the console: '$1'"; }

main() {
    require_root "the Pi boot test"
    mkdir -p "$WORK"
    trap cleanup EXIT
    local image
    image=$(find_image)
    log "Pi boot test of $image (QEMU raspi3b, the card's own U-Boot)"
    prepare_card "$(pristine_raw "$image")"

    boot_until 'Starting kernel'
    console_has "kalki-boot: boot state BOOT_ORDER=\(A B\) A=$BOOT_ATTEMPTS B=$BOOT_ATTEMPTS"
    console_has "kalki-boot: booting slot A \(partition $PART_ROOT_A\)"
    [[ $(card_state) == "BOOT_A_LEFT=$((BOOT_ATTEMPTS - 1)) BOOT_B_LEFT=$BOOT_ATTEMPTS BOOT_ORDER=A B" ]] ||
        fail "U-Boot did not store the counted attempt on the card: $(card_state)"
    log "1. slot A: boot.scr from mmc, attempt stored on the card ($(card_state)), kernel and initrd loaded from slot A"

    # Slot B of a fresh card is empty: U-Boot chooses it, cannot load its kernel and resets (the attempt counted).
    set_state "B A" 1 "$BOOT_ATTEMPTS"
    boot_until "kalki-boot: booting slot B \(partition $PART_ROOT_B\)"
    log "2. after an install (BOOT_ORDER=B A): slot B chosen"

    set_state "B A" "$BOOT_ATTEMPTS" 0
    boot_until 'Starting kernel'
    console_has "kalki-boot: booting slot A \(partition $PART_ROOT_A\)"
    log "3. slot B out of attempts: fell back to slot A"
    log "PASS: the Pi's U-Boot runs boot.scr from the SD card, counts attempts on it, boots slots A and B and falls back"
}

main "$@"
