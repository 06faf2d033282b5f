#!/usr/bin/env bash
# The A/B update scenarios under qemu-system-aarch64 -M virt, booted through Debian's U-Boot as the appliance
# boots (boot.scr chooses the slot, RAUC installs into the other, kalki-mark-good confirms it):
#   1. image v1 boots slot A and marks it good; a device is added through the management API;
#   2. bundle v2 (this tree, another version) uploaded to POST /api/update?reboot=true installs into slot B, the
#      appliance reboots into B, B is marked good, and the device is still there (the data partition is shared);
#   3. an unsigned bundle and one signed by another CA are refused with RAUC's reason, by the API and by
#      `kalki-edge update`; nothing changes;
#   4. a bundle whose firmware never becomes READY (`kalki-edge update --reboot` over SSH) goes into slot A; each
#      boot of it uses an attempt and kalki-mark-good reboots after its health timeout; after BOOT_ATTEMPTS boots
#      U-Boot falls back to slot B, which comes up healthy, still with the device. That firmware is this source with
#      one more (additive) schema version: it really starts and migrates the store, but its unit never becomes
#      active (a failing ExecStartPost). So the fallback meets a store one version newer than it knows, and must still read it (migrations stay
#      readable by the firmware one version older; the snapshot taken before migrating is checked too);
#   5. a site backup is taken from it (CLI with keys, and dashboard API), a FRESH copy of image v1 is booted (new data
#      partition, new keys), a wrong passphrase and a changed archive are refused there by the API and the CLI, and
#      the backup is restored (`kalki-edge restore` as root, then a service restart): the device, the audit log, the
#      keys and so the dashboard's certificate come back.
# Also checked on v1: `kalki-edge` is on root's PATH, and the service started after the clock was set.
# Prints the measured times (upload+install, reboot to healthy, fallback, restore). Heavy: 7+ emulated boots (about
# 45-75 min on a busy 2-core host), so it is `make update-test`, not part of CI's image test.
# Environment (optional): IMAGE, OUT_DIR, BOOT_TIMEOUT (per boot, default 900), KEEP_WORK=1.
set -euo pipefail
# shellcheck source=lib/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"
# shellcheck source=lib/layout.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib/layout.sh"
# shellcheck source=lib/qemu.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib/qemu.sh"

OUT_DIR=${OUT_DIR:-$REPO_ROOT/out/image}
BOOT_TIMEOUT=${BOOT_TIMEOUT:-900}
WORK=$IMAGE_BUILD_DIR/work/update-test
readonly GUEST_PORT=8080
readonly GROW_MIB=1536          # room on the data partition for uploaded bundles
# The bad bundle's shorter deadlines (the image's: kalki-edge start 600 s, then mark-good 300 s) keep each failed
# attempt to a few minutes of emulation; the start deadline leaves its firmware time to open (and migrate) the store.
readonly BAD_START_TIMEOUT=240 BAD_HEALTH_TIMEOUT=30
readonly DEVICE=update-test-cam
readonly BACKUP_PASSPHRASE="update-test backup passphrase"
readonly STORE=/var/lib/kalki-edge/kalki-edge.db CONFIG=/boot/firmware/kalki.yaml
V2="$(product_version)-update-test"
# The CLI as an operator types it: the image links it into root's PATH (/usr/local/bin -> /opt/kalki-edge).
CLI=kalki-edge
QEMU_PID="" PORT="" SSH_PORT="" BOOT_START=0 PRISTINE=""

fail() {
    log "FAIL: $*"
    [[ -f $WORK/serial.log ]] && { echo "----- serial log (last 200 lines) -----" >&2; plain_serial_log | tail -n 200 >&2; }
    if [[ -n $SSH_PORT ]]; then
        echo "----- guest journal of this boot (kalki units, rauc) -----" >&2
        guest journalctl -b --no-pager -o short-monotonic -u kalki-edge -u kalki-mark-good -u rauc -u kalki-reboot 2>&1 | tail -n 150 >&2 || true
    fi
    exit 1
}

cleanup() {
    stop_qemu
    [[ ${KEEP_WORK:-0} == 1 ]] || rm -rf "$WORK/disk.qcow2" "$WORK/card.img" "$WORK/after.img" "$WORK/bundle-root" "$WORK/monitor.sock" "$WORK/next-schema-src"
}

# A private copy of the card with the test's SSH key on the boot partition (the image's documented way in).
prepare_card() {
    local base=$1
    rm -f "$WORK/id" "$WORK/id.pub"
    ssh-keygen -q -t ed25519 -N '' -f "$WORK/id"
    cp --sparse=always "$base" "$WORK/card.img"
    mcopy -o -i "$WORK/card.img@@$(part_offset "$WORK/card.img" "$PART_BOOT")" "$WORK/id.pub" ::ssh_authorized_keys
    qemu-img create -q -f qcow2 -b "$WORK/card.img" -F raw "$WORK/disk.qcow2" "$(( $(stat -c %s "$base") / 1048576 + GROW_MIB ))M"
}

boot() {
    PORT=$(free_port) SSH_PORT=$(free_port)
    : >"$WORK/serial.log"
    QEMU_HOSTFWD=",hostfwd=tcp:127.0.0.1:$SSH_PORT-:22" start_qemu "$WORK/disk.qcow2" "$PORT"
    BOOT_START=$SECONDS
}

guest() { ssh -q -i "$WORK/id" -p "$SSH_PORT" -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null -o ConnectTimeout=20 root@127.0.0.1 "$@"; }
to_guest() { scp -q -i "$WORK/id" -P "$SSH_PORT" -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null "$1" "root@127.0.0.1:$2"; }

# wait_serial PATTERN SECONDS [FROM_LINE]: the pattern on the console after line FROM_LINE, within SECONDS.
wait_serial() {
    local pattern=$1 deadline=$((SECONDS + $2)) from=${3:-0}
    while ((SECONDS < deadline)); do
        plain_serial_log | tail -n +"$((from + 1))" | grep -E "$pattern" >/dev/null && return 0
        sleep 5
    done
    fail "no '$pattern' on the console within $2 s"
}

serial_lines() { plain_serial_log | wc -l; }

api() {
    local method=$1 path=$2; shift 2
    curl -sS --insecure --max-time 1800 -b "$WORK/cookies" -c "$WORK/cookies" -X "$method" -H "X-CSRF-TOKEN: ${CSRF:-}" \
        -w '\n%{http_code}' "$@" "https://127.0.0.1:$PORT$path"
}

sign_in() {
    local token body
    token=$(guest journalctl -u kalki-edge --no-pager | sed -n 's/.*setup?token=\([A-Za-z0-9_-]*\).*/\1/p' | tail -n1)
    [[ -n $token ]] || fail "no setup link in the guest's journal"
    body=$(api POST /api/setup -H 'Content-Type: application/json' \
        -d "{\"username\":\"admin\",\"password\":\"update-test-passphrase\",\"token\":\"$token\"}")
    [[ $(tail -n1 <<<"$body") == 204 ]] || fail "setup failed: $body"
    log_in
}

log_in() {
    rm -f "$WORK/cookies"; CSRF=""
    local out
    out=$(api POST /api/login -H 'Content-Type: application/json' -d '{"username":"admin","password":"update-test-passphrase"}')
    [[ $(tail -n1 <<<"$out") == 204 ]] || fail "login failed: $out"
    CSRF=$(api GET /api/session | head -n1 | python3 -c 'import json,sys; print(json.load(sys.stdin)["antiforgeryToken"])')
}

device_present() { api GET "/api/devices/$DEVICE" | tail -n1 | grep -q 200; }

# Bundles, all made by lib/bundle.sh (what `make bundle` runs on the image's tree): v2 = the image's root tree under
# another version (so slot B is told from slot A by /etc/kalki-edge-release); bad = that root with the firmware of the
# next schema, whose unit never becomes active; foreign = signed by another CA; unsigned = a bare squashfs.
make_bundles() {
    local tree=$1
    mkdir -p "$WORK/bundles"
    # v2 and bad take minutes each: made once per image tree, a re-run of the test on the same image reuses them.
    local recipe="$(basename "$tree") bad=exec-start-post-fails"
    if [[ $(cat "$WORK/bundles/tree" 2>/dev/null) != "$recipe" || ! -f $WORK/bundles/v2.raucb || ! -f $WORK/bundles/bad.raucb ]]; then
        rm -f "$WORK/bundles/tree"
        stamped_root "$tree" "$V2"
        "$IMAGE_BUILD_DIR/lib/bundle.sh" "$WORK/bundle-root" "$V2" "$CACHE_DIR/dev-ca" "$WORK/bundles/v2.raucb"
        next_schema_firmware
        stamped_root "$tree" "$V2-next-schema-never-ready"
        # The firmware of schema NEXT_SCHEMA, whose unit never becomes active: it starts, opens and migrates the store
        # and reports READY, then a failing ExecStartPost fails the start, so kalki-mark-good never confirms the slot.
        # (NotifyAccess=none cannot do this: systemd raises it to main for Type=notify, and the slot was marked good.)
        cp -a "$WORK/next-schema/." "$WORK/bundle-root/opt/kalki-edge/"
        mkdir -p "$WORK/bundle-root/etc/systemd/system/kalki-mark-good.service.d"
        printf '[Service]\nEnvironment=KALKI_HEALTH_TIMEOUT=%d\n' "$BAD_HEALTH_TIMEOUT" >"$WORK/bundle-root/etc/systemd/system/kalki-mark-good.service.d/update-test.conf"
        mkdir -p "$WORK/bundle-root/etc/systemd/system/kalki-edge.service.d"
        printf '[Service]\nExecStartPost=/bin/false\nTimeoutStartSec=%d\n' "$BAD_START_TIMEOUT" >"$WORK/bundle-root/etc/systemd/system/kalki-edge.service.d/update-test.conf"
        "$IMAGE_BUILD_DIR/lib/bundle.sh" "$WORK/bundle-root" "$V2-next-schema-never-ready" "$CACHE_DIR/dev-ca" "$WORK/bundles/bad.raucb"
        rm -rf "$WORK/bundle-root"
        echo "$recipe" >"$WORK/bundles/tree"
    fi
    rm -rf "$WORK/other-ca" "$WORK/small"
    "$IMAGE_BUILD_DIR/lib/dev-ca.sh" "$WORK/other-ca" "Somebody else's CA" 2>/dev/null
    # RAUC refuses to bundle a payload of one squashfs block or less.
    mkdir -p "$WORK/small/etc" && echo 'small' >"$WORK/small/etc/os-release" && head -c 65536 /dev/urandom >"$WORK/small/etc/filler"
    "$IMAGE_BUILD_DIR/lib/bundle.sh" "$WORK/small" "$V2" "$WORK/other-ca" "$WORK/bundles/foreign.raucb"
    mksquashfs "$WORK/small" "$WORK/bundles/unsigned.raucb" -quiet -noappend >/dev/null
    log "bundles: $(cd "$WORK/bundles" && du -h ./*.raucb | tr '\n\t' ' ')"
}

# The schema version of this source's firmware (the image's), and the one the never-ready bundle migrates to.
SCHEMA=$(grep -c 'OldestReader: [0-9]' "$REPO_ROOT/firmware/KalkiEdge.Store/Schema.cs")
NEXT_SCHEMA=$((SCHEMA + 1))

# next_schema_firmware: $WORK/next-schema, this source's firmware with one more schema version (an added table,
# readable by the firmware of SCHEMA: the kind of migration the store's rules allow), published as `make publish`
# publishes the image's. Made once per firmware source.
next_schema_firmware() {
    local src=$WORK/next-schema-src key start=$SECONDS
    key=$(cd "$REPO_ROOT" && git ls-files -co --exclude-standard -z -- firmware Directory.Build.props Directory.Packages.props Makefile |
        LC_ALL=C sort -z | xargs -0 sha256sum 2>/dev/null | sha256sum | cut -c1-16)
    [[ -f $WORK/next-schema/kalki-edge && $(cat "$WORK/next-schema.key" 2>/dev/null) == "$key" ]] && return
    rm -rf "$src" "$WORK/next-schema" && mkdir -p "$src"
    (cd "$REPO_ROOT" && git ls-files -co --exclude-standard -z | tar --null --ignore-failed-read -T - -cf - 2>/dev/null) | tar -xf - -C "$src"
    awk -v n="$SCHEMA" '
        /^    \];/ && !done {
            printf "        // %d: update-test only: one more table, readable by the firmware of schema %d.\n", n + 1, n
            print "        new(\"CREATE TABLE update_test_next_schema (note TEXT NOT NULL);\", OldestReader: " n "),"
            done = 1
        }
        { print }' "$src/firmware/KalkiEdge.Store/Schema.cs" >"$src/Schema.cs.next"
    mv "$src/Schema.cs.next" "$src/firmware/KalkiEdge.Store/Schema.cs"
    [[ $(grep -c 'OldestReader: [0-9]' "$src/firmware/KalkiEdge.Store/Schema.cs") == "$NEXT_SCHEMA" ]] || die "could not add schema $NEXT_SCHEMA"
    log "publishing the firmware of schema $NEXT_SCHEMA (make publish in a copy of the source)"
    nice -n 5 make -C "$src" --no-print-directory publish >"$WORK/next-schema-publish.log" 2>&1 ||
        { tail -n 40 "$WORK/next-schema-publish.log" >&2; die "publish of the schema $NEXT_SCHEMA firmware failed"; }
    cp -a "$src/out/publish/linux-arm64" "$WORK/next-schema"
    rm -rf "$src"
    echo "$key" >"$WORK/next-schema.key"
    log "firmware of schema $NEXT_SCHEMA published in $((SECONDS - start)) s"
}

# stamped_root TREE VERSION: a copy of the tree's root in $WORK/bundle-root whose release file names VERSION.
stamped_root() {
    rm -rf "$WORK/bundle-root" && cp -a "$1/root" "$WORK/bundle-root"
    sed -i "s/^KALKI_EDGE_VERSION=.*/KALKI_EDGE_VERSION=$2/" "$WORK/bundle-root/etc/kalki-edge-release"
}

# The image's tree (stage b) in the cache: the one whose raw image the card was made from.
image_tree() {
    local tree
    tree=$(ls -1dt "$CACHE_DIR"/tree-* 2>/dev/null | head -n1)
    [[ -n $tree && -f $CACHE_DIR/dev-ca/ca.cert.pem ]] || die "no image tree or bundle CA in $CACHE_DIR: run 'make image' first"
    cmp -s "$CACHE_DIR/dev-ca/ca.cert.pem" "$tree/root/etc/rauc/keyring.pem" || die "$tree does not trust $CACHE_DIR/dev-ca: rebuild with 'make image'"
    echo "$tree"
}

scenario_v1() {
    wait_for_health "$PORT"
    wait_serial "kalki-boot: booting slot A" 5
    wait_serial "kalki-mark-good: slot A is healthy" 300
    sign_in
    local out
    out=$(api POST /api/devices -H 'Content-Type: application/json' \
        -d "{\"name\":\"$DEVICE\",\"type\":\"generic-iot\",\"mac\":\"02:00:00:00:17:01\",\"ips\":[\"192.0.2.17\"]}")
    [[ $(tail -n1 <<<"$out") == 201 ]] || fail "could not add $DEVICE: $out"
    log "v1: slot A booted and marked good; $DEVICE added"
}

scenario_refused() {
    local what out
    for what in unsigned foreign; do
        out=$(api POST /api/update -H 'Content-Type: application/octet-stream' --data-binary "@$WORK/bundles/$what.raucb")
        [[ $(tail -n1 <<<"$out") == 422 ]] || fail "API: the $what bundle was not refused with 422: $out"
        log "API refused the $what bundle: $(head -n1 <<<"$out")"
        to_guest "$WORK/bundles/$what.raucb" "/data/$what.raucb"
        if out=$(guest "$CLI" update "/data/$what.raucb" 2>&1); then fail "kalki-edge update accepted the $what bundle"; fi
        # A refusal is RAUC's, named by the CLI; any other failure (no such command, a crash) is not one.
        grep -q "refused by RAUC" <<<"$out" || fail "kalki-edge update failed on the $what bundle without RAUC refusing it: $out"
        log "CLI refused the $what bundle: $out"
    done
    api GET '/api/audit?limit=20' | grep -q update-refused || fail "refusals are not in the audit log"
}

scenario_v2() {
    local start lines out
    lines=$(serial_lines) start=$SECONDS
    out=$(api POST '/api/update?reboot=true' -H 'Content-Type: application/octet-stream' --data-binary "@$WORK/bundles/v2.raucb")
    [[ $(tail -n1 <<<"$out") == 200 ]] || fail "upload of v2 failed: $out"
    log "v2 uploaded and installed in $((SECONDS - start)) s: $(head -n1 <<<"$out")"
    start=$SECONDS
    wait_serial "kalki-boot: booting slot B" 600 "$lines"
    wait_serial "kalki-mark-good: slot B is healthy" "$BOOT_TIMEOUT" "$lines"
    log "rebooted into slot B and healthy in $((SECONDS - start)) s"
    guest grep -qx "KALKI_EDGE_VERSION=$V2" /etc/kalki-edge-release || fail "slot B does not run $V2"
    log_in
    device_present || fail "$DEVICE is gone after the update"
    log "v2: $DEVICE still there"
}

scenario_bad() {
    local start lines
    to_guest "$WORK/bundles/bad.raucb" /data/bad.raucb
    lines=$(serial_lines) start=$SECONDS
    guest "$CLI" update /data/bad.raucb --reboot || true   # ssh drops as the guest reboots
    log "bad bundle installed into slot A in $((SECONDS - start)) s; waiting for $BOOT_ATTEMPTS attempts and the fallback"
    start=$SECONDS
    local i
    for ((i = 1; i <= BOOT_ATTEMPTS; i++)); do
        wait_serial "kalki-boot: booting slot A" $((BAD_START_TIMEOUT + BAD_HEALTH_TIMEOUT + BOOT_TIMEOUT)) "$lines"
        lines=$(( $(plain_serial_log | grep -nE "kalki-boot: booting slot A" | tail -n1 | cut -d: -f1) ))
        log "attempt $i of slot A (bad firmware) at $((SECONDS - start)) s"
    done
    wait_serial "kalki-boot: booting slot B" $((BAD_START_TIMEOUT + BAD_HEALTH_TIMEOUT + BOOT_TIMEOUT)) "$lines"
    wait_serial "kalki-mark-good: slot B is healthy" "$BOOT_TIMEOUT" "$lines"
    log "fell back to slot B and healthy $((SECONDS - start)) s after the bad install"
    log_in
    device_present || fail "$DEVICE is gone after the fallback"
    check_store_after_fallback
}

# As an operator types it: the CLI is on root's PATH; the units that check certificates and bundle signatures start
# after the clock was set (time-set.target: systemd-timesyncd restored its saved clock), and did here.
scenario_appliance_basics() {
    local where unit clock_set started
    where=$(guest command -v kalki-edge) || fail "kalki-edge is not on root's PATH"
    [[ $where == /usr/local/bin/kalki-edge && $(guest readlink -f "$where") == /opt/kalki-edge/kalki-edge ]] ||
        fail "kalki-edge on the PATH is $where, not the link /usr/local/bin/kalki-edge -> /opt/kalki-edge/kalki-edge"
    for unit in kalki-edge.service rauc.service kalki-firstboot.service; do
        guest systemctl show -p After --value "$unit" | tr ' ' '\n' | grep -x time-set.target >/dev/null || fail "$unit is not ordered after time-set.target"
    done
    for unit in kalki-edge.service rauc.service; do
        guest systemctl show -p After --value "$unit" | tr ' ' '\n' | grep -x time-sync.target >/dev/null || fail "$unit is not ordered after time-sync.target"
    done
    guest systemctl -q is-active time-set.target || fail "time-set.target was never reached"
    clock_set=$(guest systemctl show -p ActiveEnterTimestampMonotonic --value time-set.target)
    started=$(guest systemctl show -p ExecMainStartTimestampMonotonic --value kalki-edge.service)
    ((clock_set > 0 && clock_set <= started)) || fail "kalki-edge started (${started} us) before the clock was set (${clock_set} us)"
    log "kalki-edge is on the PATH ($where); the clock was set $(((started - clock_set) / 1000)) ms before kalki-edge started"
}

# store_schema: "USER_VERSION OLDEST_READER NEXT_SCHEMA_TABLE" of the running appliance's store, read on the host
# from a copy (the image has no sqlite3).
store_schema() {
    rm -rf "$WORK/store" && mkdir -p "$WORK/store"
    guest 'cd /var/lib/kalki-edge && tar -cf - kalki-edge.db $(ls kalki-edge.db-wal 2>/dev/null)' | tar -xf - -C "$WORK/store" ||
        fail "could not copy the store off the appliance"
    python3 - "$WORK/store/kalki-edge.db" <<'PY'
import sqlite3, sys
db = sqlite3.connect(sys.argv[1])
version = db.execute("PRAGMA user_version").fetchone()[0]
oldest = db.execute("SELECT value FROM schema_info WHERE name = 'oldest-reader'").fetchone()
table = db.execute("SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = 'update_test_next_schema'").fetchone()[0]
print(version, oldest[0] if oldest else "none", table)
PY
}

# After the fallback: v2 (schema SCHEMA) reads the store the never-ready firmware migrated to NEXT_SCHEMA.
check_store_after_fallback() {
    local version oldest table
    read -r version oldest table < <(store_schema)
    [[ $version == "$NEXT_SCHEMA" && $table == 1 ]] ||
        fail "the store is at schema $version (table of schema $NEXT_SCHEMA: $table): the never-ready firmware did not migrate it"
    [[ $oldest == "$SCHEMA" ]] || fail "the migrated store says its oldest reader is $oldest, not $SCHEMA"
    guest test -f "$STORE.schema-$SCHEMA" || fail "no $STORE.schema-$SCHEMA: the store was not kept as it was before migrating"
    guest grep -qx "KALKI_EDGE_VERSION=$V2" /etc/kalki-edge-release || fail "the fallback slot does not run $V2"
    log "v2 (schema $SCHEMA) runs on the store migrated to schema $NEXT_SCHEMA (oldest reader $oldest), $DEVICE there; $STORE.schema-$SCHEMA kept"
}

# The site's backup from the running appliance: by the CLI (keys sealed with the passphrase) and by the dashboard API.
scenario_backup() {
    local out
    guest "umask 077 && printf '%s\n' '$BACKUP_PASSPHRASE' >/data/backup.pass"
    out=$(guest "$CLI" backup --config "$CONFIG" --out /data/site-cli.zip --keys --passphrase-file /data/backup.pass 2>&1) ||
        fail "kalki-edge backup failed: $out"
    grep -q "keys sealed with the passphrase" <<<"$out" || fail "kalki-edge backup did not seal the keys: $out"
    log "CLI: $out"
    guest cat /data/site-cli.zip >"$WORK/site-cli.zip"
    out=$(api POST /api/backup -H 'Content-Type: application/json' -d "{\"passphrase\":\"$BACKUP_PASSPHRASE\"}" -o "$WORK/site-api.zip")
    [[ $(tail -n1 <<<"$out") == 200 ]] || fail "POST /api/backup: $out"
    # The sealed keys are one entry, keys.sealed (BackupFormat.KeysEntry).
    python3 -c 'import sys, zipfile; sys.exit("keys.sealed" not in zipfile.ZipFile(sys.argv[1]).namelist())' "$WORK/site-api.zip" ||
        fail "the dashboard's backup holds no keys"
    log "API: backup of $(stat -c %s "$WORK/site-api.zip") bytes with sealed keys"
    guest 'cd /var/lib/kalki-edge/keys && sha256sum -- *' >"$WORK/keys.source"
    served_certificate >"$WORK/cert.source"
}

served_certificate() {
    openssl s_client -connect "127.0.0.1:$PORT" </dev/null 2>/dev/null | openssl x509 -noout -fingerprint -sha256
}

# A copy of ARCHIVE with one byte changed a third of the way in.
changed_archive() {
    python3 - "$1" "$2" <<'PY'
import sys
data = bytearray(open(sys.argv[1], "rb").read())
data[len(data) // 3] ^= 0x55
open(sys.argv[2], "wb").write(data)
PY
}

# A fresh copy of image v1 (new data partition, so new keys and no site), where the backup is restored.
scenario_restore() {
    local out start
    shutdown_guest
    log "boot state of the updated card: $(boot_state "$WORK/disk.qcow2" | tr '\n' ' ')"
    prepare_card "$PRISTINE"
    boot
    wait_for_health "$PORT"
    wait_serial "kalki-mark-good: slot A is healthy" 300
    [[ $(served_certificate) != "$(cat "$WORK/cert.source")" ]] || fail "the fresh card serves the old appliance's certificate before any restore"
    sign_in
    device_present && fail "$DEVICE is on the fresh card before any restore"
    log "fresh v1 card booted, healthy, signed in; no $DEVICE"

    changed_archive "$WORK/site-api.zip" "$WORK/site-api.changed.zip"
    changed_archive "$WORK/site-cli.zip" "$WORK/site-cli.changed.zip"
    out=$(api POST /api/restore -H 'Content-Type: application/zip' -H 'X-Backup-Passphrase: not the passphrase at all' --data-binary "@$WORK/site-api.zip")
    [[ $(tail -n1 <<<"$out") == 422 ]] && grep -q "wrong passphrase" <<<"$out" || fail "API: a wrong passphrase was not refused: $out"
    log "API refused a wrong passphrase: $(head -n1 <<<"$out")"
    out=$(api POST /api/restore -H 'Content-Type: application/zip' -H "X-Backup-Passphrase: $BACKUP_PASSPHRASE" --data-binary "@$WORK/site-api.changed.zip")
    [[ $(tail -n1 <<<"$out") == 422 ]] && grep -q "nothing was changed.*damaged" <<<"$out" || fail "API: a changed archive was not refused as damaged: $out"
    log "API refused a changed archive: $(head -n1 <<<"$out")"

    to_guest "$WORK/site-api.zip" /data/site.zip
    to_guest "$WORK/site-cli.changed.zip" /data/site-changed.zip
    guest "umask 077 && printf '%s\n' '$BACKUP_PASSPHRASE' >/data/backup.pass && echo 'not the passphrase at all' >/data/wrong.pass"
    # A refusal names the archive and the reason; any other failure (no such command, a crash) is not one.
    if out=$(guest "$CLI" restore /data/site.zip --config "$CONFIG" --passphrase-file /data/wrong.pass 2>&1); then fail "kalki-edge restore took a wrong passphrase"; fi
    grep -q "kalki-edge restore: /data/site.zip: .*wrong passphrase" <<<"$out" || fail "kalki-edge restore failed on a wrong passphrase without saying so: $out"
    log "CLI refused a wrong passphrase: $out"
    if out=$(guest "$CLI" restore /data/site-changed.zip --config "$CONFIG" --passphrase-file /data/backup.pass 2>&1); then fail "kalki-edge restore took a changed archive"; fi
    grep -q "kalki-edge restore: /data/site-changed.zip: .*damaged" <<<"$out" || fail "kalki-edge restore failed on a changed archive without saying it is damaged: $out"
    log "CLI refused a changed archive: $out"
    guest test ! -e /var/lib/kalki-edge/restore.pending || fail "a refused restore left restore.pending"

    start=$SECONDS
    out=$(guest "$CLI" restore /data/site.zip --config "$CONFIG" --passphrase-file /data/backup.pass 2>&1) || fail "kalki-edge restore failed: $out"
    log "CLI: $out"
    guest systemctl restart kalki-edge.service || fail "kalki-edge did not restart after the restore"
    BOOT_START=$SECONDS
    wait_for_health "$PORT"
    log "restored and healthy again in $((SECONDS - start)) s (restore, service restart)"
    log_in
    device_present || fail "$DEVICE did not come back with the restore"
    out=$(api GET '/api/audit?limit=500')
    grep -q update-refused <<<"$out" || fail "the old appliance's audit log did not come back: $out"
    diff <(guest 'cd /var/lib/kalki-edge/keys && sha256sum -- *') "$WORK/keys.source" >&2 || fail "the keys did not come back"
    [[ $(served_certificate) == "$(cat "$WORK/cert.source")" ]] || fail "the dashboard does not serve the restored certificate"
    guest test -d /var/lib/kalki-edge/before-restore/keys || fail "the fresh card's own keys were not set aside in before-restore/"
    guest "find $STORE /var/lib/kalki-edge/keys ! -user kalki-edge -printf '%u %p\n'" | grep . >&2 && fail "restored files not owned by kalki-edge after a restore as root"
    log "restore: $DEVICE, the audit log (update refusals of the old card), the keys and the dashboard certificate are back"
}

main() {
    require_root "the update test"
    [[ -f $QEMU_UBOOT ]] || die "no $QEMU_UBOOT (apt-get install u-boot-qemu)"
    mkdir -p "$WORK"
    trap cleanup EXIT
    local image start=$SECONDS
    image=$(find_image)
    log "update test of $image"
    local tree
    tree=$(image_tree)
    make_bundles "$tree"
    PRISTINE=$(pristine_raw "$image")
    prepare_card "$PRISTINE"
    boot
    scenario_v1
    scenario_appliance_basics
    scenario_refused
    scenario_v2
    scenario_bad
    scenario_backup
    scenario_restore
    shutdown_guest
    log "update test took $((SECONDS - start)) s"
    log "PASS: v1 -> v2 through the dashboard upload, bad bundles refused, a never-ready update of schema $NEXT_SCHEMA fell back to v2, which read its store; the backup restored onto a fresh v1 card"
}

main "$@"
