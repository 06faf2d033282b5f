# shellcheck shell=bash
# QEMU helpers shared by the image's boot test (boot-test.sh) and its update test (update-test.sh): the card
# behind a qcow2 overlay, booted by qemu-system-aarch64 -M virt through U-Boot, serial log and monitor in $WORK.
# Sourced after common.sh and layout.sh; the sourcing script defines WORK and fail().

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



free_port() {
    python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# start_qemu DISK PORT [QEMU ARG...]: boots the card through Debian's U-Boot, as the appliance boots: U-Boot
# runs the boot partition's boot.scr, which picks the root slot and loads that slot's kernel and initrd.
# QEMU_HOSTFWD adds forwards (",hostfwd=...") to the one NIC: a second user-mode NIC would get the same guest address,
# and the guest would answer one NIC's connections through the other.
start_qemu() {
    local disk=$1 port=$2; shift 2
    # -cpu max as the Pi is emulated by whatever CPU model; pauth-impdef makes pointer auth cheap under TCG.
    # romfile= : no PXE ROM needed (and ipxe-qemu may be absent).
    qemu-system-aarch64 -M virt -cpu max,pauth-impdef=on -smp 2 -m 1024 -bios "$QEMU_UBOOT" \
        -drive "file=$disk,if=virtio,format=qcow2" \
        -netdev "user,id=net0,hostfwd=tcp:127.0.0.1:$port-:$GUEST_PORT${QEMU_HOSTFWD:-}" \
        -device virtio-net-pci,netdev=net0,romfile= \
        -display none -serial "file:$WORK/serial.log" -monitor "unix:$WORK/monitor.sock,server,nowait" \
        "$@" &
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

# wait_for_health PORT: /health over HTTPS on the forwarded management port within BOOT_TIMEOUT s of BOOT_START.
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

# data_partition_image DISK_QCOW2 OUT: the data partition of the card as a file (after the guest powered off).
data_partition_image() {
    local disk=$1 out=$2 raw="$WORK/after.img"
    qemu-img convert -O raw "$disk" "$raw"
    dd if="$raw" of="$out" bs=1M skip=$(($(part_offset "$raw" "$PART_DATA") / 1048576)) status=none
}

# boot_state DISK_QCOW2: the bootchooser's counters in the card's U-Boot environment block, one per line.
boot_state() {
    # qemu-img dd cannot skip into a qcow2: read from the start up to the end of the block, keep the block.
    qemu-img dd -f qcow2 -O raw if="$1" of="$WORK/env.bin" bs=$((ENV_SIZE)) count=$(((ENV_OFFSET + ENV_SIZE) / ENV_SIZE)) 2>/dev/null
    tail -c $((ENV_SIZE)) "$WORK/env.bin" | tail -c +5 | tr '\0' '\n' | grep -E '^BOOT_(ORDER|A_LEFT|B_LEFT)='
}
