#!/bin/bash
# First boot: create the appliance's unique secrets on the data partition (only those that are missing).
set -euo pipefail

DATA_DIR=/var/lib/kalki-edge
KEY_DIR=$DATA_DIR/keys
OWNER=kalki-edge

log() { echo "kalki-firstboot: $*"; }

# The root file system is read-only, so systemd runs with a transient machine-id until it is committed.
# Commit it once (a brief rw remount; ext4 journal covers a power cut) so journals and DHCP client ids stay stable.
commit_machine_id() {
    mountpoint -q /etc/machine-id || return 0
    log "committing machine-id $(cat /etc/machine-id)"
    mount -o remount,rw /
    systemd-machine-id-setup --commit || log "machine-id commit failed; it stays transient"
    # Never leave the root writable: retry, and say so loudly if it still refuses (next boot is ro anyway).
    mount -o remount,ro / || { sleep 1; mount -o remount,ro /; } || log "WARNING: root still read-write until reboot"
}

new_tls_cert() {
    local name
    name="kalki-edge-$(cut -c1-8 /etc/machine-id)"
    log "generating TLS certificate for $name"
    openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 3650 \
        -subj "/CN=$name/O=KalkiEdge appliance" -addext "subjectAltName=DNS:$name,DNS:$name.local,DNS:localhost" \
        -keyout "$KEY_DIR/tls.key.tmp" -out "$KEY_DIR/tls.crt.tmp" 2>/dev/null
    mv "$KEY_DIR/tls.crt.tmp" "$KEY_DIR/tls.crt"
    mv "$KEY_DIR/tls.key.tmp" "$KEY_DIR/tls.key"
}

new_hypervisor_key() {
    log "generating emulated-hypervisor key"
    # 32 random bytes: the HMAC key the emulated uberXMHF backend (uhsign / µTPM) signs with.
    head -c 32 /dev/urandom >"$KEY_DIR/hypervisor-emu.key.tmp"
    mv "$KEY_DIR/hypervisor-emu.key.tmp" "$KEY_DIR/hypervisor-emu.key"
}

main() {
    commit_machine_id
    install -d -m 0700 -o "$OWNER" -g "$OWNER" "$KEY_DIR"
    umask 077
    [[ -s $KEY_DIR/tls.crt && -s $KEY_DIR/tls.key ]] || new_tls_cert
    [[ -s $KEY_DIR/hypervisor-emu.key ]] || new_hypervisor_key
    chown -R "$OWNER:$OWNER" "$KEY_DIR"
    sync -f "$KEY_DIR"
}

main "$@"
