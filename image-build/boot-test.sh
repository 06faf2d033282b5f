#!/usr/bin/env bash
# Boot the built SD image under qemu-system-aarch64 -M virt and check the firmware's /health, then inspect
# what first boot left on the card. Boots the shipped artifact (out/image/*.img.xz, checksum verified),
# through a throw-away qcow2 overlay that is larger than the image so the data partition has room to grow.
#
# Environment (optional): IMAGE (path to .img.xz/.img.zst/.img), OUT_DIR (default out/image),
#   BOOT_TIMEOUT seconds (default 600: a JIT start under TCG on a busy 2-core host takes minutes), WATCHDOG_CHECK=0 skips the 75 s watchdog observation,
#   KEEP_WORK=1 keeps the overlay disk in image-build/work/boot-test.
set -euo pipefail
# shellcheck source=lib/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"

OUT_DIR=${OUT_DIR:-$REPO_ROOT/out/image}
BOOT_TIMEOUT=${BOOT_TIMEOUT:-600}
WORK=$IMAGE_BUILD_DIR/work/boot-test
readonly GROW_MIB=512       # the emulated card is this much larger than the image
readonly GUEST_PORT=8080    # management.listen in image-build/boot/kalki.yaml
readonly WATCHDOG_SEC=60    # WatchdogSec= in kalki-edge.service
# The unit's ExecStartPost prints this on the console; systemd runs it only after the firmware sent READY=1.
readonly READY_LINE='kalki-edge: READY'
QEMU_PID=""

find_image() {
    if [[ -n ${IMAGE:-} ]]; then echo "$IMAGE"; return; fi
    [[ -f $OUT_DIR/latest ]] || die "no image in $OUT_DIR — run 'make image' first (or set IMAGE)"
    echo "$OUT_DIR/$(<"$OUT_DIR/latest")"
}

# Decompress once per image checksum into the work dir; the pristine base is never written to.
pristine_raw() {
    local image=$1 sum base
    [[ -f $image ]] || die "image $image does not exist"
    if [[ -f $image.sha256 ]]; then
        (cd "$(dirname "$image")" && sha256sum --quiet -c "$(basename "$image").sha256") ||
            die "checksum mismatch for $image"
    fi
    sum=$(sha256sum <"$image" | cut -c1-16)
    base="$WORK/base-$sum.img"
    if [[ ! -f $base ]]; then
        rm -f "$WORK"/base-*.img
        case $image in
            *.xz)  xz -T2 -dc "$image" >"$base.partial" ;;
            *.zst) zstd -q -dc "$image" >"$base.partial" ;;
            *.img) cp --sparse=always "$image" "$base.partial" ;;
            *)     die "unknown image format: $image" ;;
        esac
        mv "$base.partial" "$base"
    fi
    echo "$base"
}

# byte offset of partition N from the image's partition table
part_offset() {
    local img=$1 n=$2 start
    start=$(sfdisk -d "$img" | awk -v dev="${img}${n}" '$1 == dev { sub(/,/, "", $4); print $4 }')
    [[ -n $start ]] || die "partition $n not found in $img"
    echo $((start * 512))
}

# Kernel, initrd and command line come from the image's own boot partition (what the Pi would boot).
extract_boot_files() {
    local img=$1 fat kernel initrd
    fat="$img@@$(part_offset "$img" 1)"
    kernel=$(mdir -b -i "$fat" :: | sed -n 's|^::/\(vmlinuz-.*\)$|\1|p' | sort -V | tail -n1)
    initrd=${kernel/vmlinuz-/initrd.img-}
    [[ -n $kernel ]] || die "no vmlinuz-* on the boot partition"
    mcopy -o -n -i "$fat" "::$kernel" "$WORK/vmlinuz"
    mcopy -o -n -i "$fat" "::$initrd" "$WORK/initrd.img"
    mcopy -o -n -i "$fat" "::cmdline.txt" "$WORK/cmdline.txt"
    log "booting $kernel"
}

# The Pi's consoles (tty0, ttyS1) become the virt machine's PL011; everything else (root=, ro, ...) is kept.
qemu_cmdline() {
    tr '\n' ' ' <"$WORK/cmdline.txt" | sed -E 's/(^| )console=[^ ]*//g; s/^ +//'
    echo " console=ttyAMA0,115200"
}

free_port() {
    python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

start_qemu() {
    local disk=$1 port=$2
    # -cpu max as the Pi is emulated by whatever CPU model; pauth-impdef makes pointer auth cheap under TCG.
    # romfile= : no PXE ROM needed (and ipxe-qemu may be absent); -no-reboot turns a panic into an exit.
    qemu-system-aarch64 -M virt -cpu max,pauth-impdef=on -smp 2 -m 1024 \
        -kernel "$WORK/vmlinuz" -initrd "$WORK/initrd.img" -append "$(qemu_cmdline)" \
        -drive "file=$disk,if=virtio,format=qcow2" \
        -netdev "user,id=net0,hostfwd=tcp:127.0.0.1:$port-:$GUEST_PORT" \
        -device virtio-net-pci,netdev=net0,romfile= \
        -display none -serial "file:$WORK/serial.log" -monitor "unix:$WORK/monitor.sock,server,nowait" \
        -no-reboot &
    QEMU_PID=$!
}

monitor_cmd() {
    python3 - "$WORK/monitor.sock" "$1" <<'PY'
import socket, sys, time
s = socket.socket(socket.AF_UNIX); s.connect(sys.argv[1]); time.sleep(0.2)
s.sendall((sys.argv[2] + "\n").encode()); time.sleep(0.5); s.close()
PY
}

stop_qemu() {
    [[ -n $QEMU_PID ]] || return 0
    kill "$QEMU_PID" 2>/dev/null || true
    wait "$QEMU_PID" 2>/dev/null || true
    QEMU_PID=""
}

# Ask the guest to power off (power key -> systemd) so the data partition is clean for inspection.
shutdown_guest() {
    local deadline=$((SECONDS + 90))
    monitor_cmd system_powerdown 2>/dev/null || true
    while kill -0 "$QEMU_PID" 2>/dev/null && ((SECONDS < deadline)); do sleep 2; done
    kill -0 "$QEMU_PID" 2>/dev/null && log "guest did not power off in 90 s; stopping qemu"
    stop_qemu
}

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
        -u kalki-edge.service -u kalki-firstboot.service -u kalki-growdata.service >&2 || true
    journalctl -D "$WORK/journal/journal" --no-pager -o short-monotonic -p warning >&2 || true
    echo "----- end of guest journal -----" >&2
}

extract_data_partition() {
    local after=$WORK/after.img
    qemu-img convert -O raw "$WORK/disk.qcow2" "$after"
    dd if="$after" of="$WORK/data.ext4" bs=1M skip=$(($(part_offset "$after" 3) / 1048576)) status=none
}

# version, shim backend and packs must be present and non-empty; key spelling is left to the firmware
# (e.g. "shim": {"backend": ...} or "shimBackend"; "packs": [...] or a count).
check_health_json() {
    python3 - "$1" <<'PY'
import json, sys
doc = json.loads(sys.argv[1])
def find(node, pred):
    if isinstance(node, dict):
        for k, v in node.items():
            if pred(k.lower()) and v not in (None, "", [], {}, 0): return v
            hit = find(v, pred)
            if hit is not None: return hit
    elif isinstance(node, list):
        for v in node:
            hit = find(v, pred)
            if hit is not None: return hit
    return None
checks = {"version": find(doc, lambda k: k == "version"),
          "shim backend": find(doc, lambda k: "backend" in k),
          "packs": find(doc, lambda k: k.startswith("packs"))}
missing = [name for name, v in checks.items() if v is None]
for name, v in checks.items(): print(f"  {name}: {v}")
sys.exit(f"/health lacks {', '.join(missing)}" if missing else 0)
PY
}

wait_for_health() {
    local port=$1 deadline=$((SECONDS + BOOT_TIMEOUT)) body
    while ((SECONDS < deadline)); do
        kill -0 "$QEMU_PID" 2>/dev/null || fail "qemu exited before /health answered (kernel panic or poweroff?)"
        # Off loopback the firmware serves only HTTPS, with the certificate the guest's first boot generated: the test
        # cannot know it in advance, so it does not verify it (the management tests prove the configured one is served).
        if body=$(curl -fsS --insecure --max-time 5 "https://127.0.0.1:$port/health" 2>/dev/null); then
            log "/health answered after $((SECONDS - BOOT_START)) s: $body"
            check_health_json "$body" || fail "/health JSON incomplete"
            return 0
        fi
        sleep 3
    done
    fail "/health did not answer within ${BOOT_TIMEOUT} s"
}

# The console log carries colour codes between words ("Started \e[0;1;39mkalki-edge.service\e[0m ...").
plain_serial_log() { sed 's/\x1b\[[0-9;]*[A-Za-z]//g; s/\r//g' "$WORK/serial.log"; }

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

# After power-off: what did first boot do to the card?
inspect_card() {
    local after=$WORK/after.img size_mib
    extract_data_partition
    size_mib=$(sfdisk -d "$after" | awk -v dev="${after}3" '$1 == dev { sub(/,/, "", $6); print int($6 / 2048) }')
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
    sfdisk -d "$1" | awk -v dev="${1}3" '$1 == dev { sub(/,/, "", $6); print int($6 / 2048) }'
}

main() {
    mkdir -p "$WORK"
    trap cleanup EXIT
    local image port base_mib
    image=$(find_image)
    log "boot test of $image"
    BASE_IMG=$(pristine_raw "$image")
    extract_boot_files "$BASE_IMG"
    base_mib=$(($(stat -c %s "$BASE_IMG") / 1048576))
    rm -f "$WORK/disk.qcow2" "$WORK/serial.log"
    qemu-img create -q -f qcow2 -b "$BASE_IMG" -F raw "$WORK/disk.qcow2" "$((base_mib + GROW_MIB))M"
    port=$(free_port)
    BOOT_START=$SECONDS
    start_qemu "$WORK/disk.qcow2" "$port"
    log "qemu pid $QEMU_PID, /health forwarded to 127.0.0.1:$port, timeout ${BOOT_TIMEOUT} s"
    wait_for_health "$port"
    [[ ${WATCHDOG_CHECK:-1} == 1 ]] && check_ready_and_watchdog "$port"
    shutdown_guest
    inspect_card
    log "PASS: image booted, service ready, /health ok, first boot grew the data partition and made keys"
}

main "$@"
