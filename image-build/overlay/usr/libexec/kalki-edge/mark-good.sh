#!/bin/bash
# kalki-mark-good.service: wait (bounded) for kalki-edge to be active (it sent READY=1) and for /health to answer
# on loopback, then `rauc status mark-good booted`, which gives the slot its boot attempts back. The unit starts
# once kalki-edge's start job is over (READY, or failed after its TimeoutStartSec). Without health within
# KALKI_HEALTH_TIMEOUT seconds of that: reboot if the other slot is still good (the bootchooser takes one more
# attempt from this slot, and falls back once they are used up); otherwise stay up, so that a configuration
# error on the only good slot leaves a reachable appliance instead of a reboot loop.
set -uo pipefail
TIMEOUT=${KALKI_HEALTH_TIMEOUT:-300}
CONFIG=/boot/firmware/kalki.yaml

log() { echo "kalki-mark-good: $*"; printf '<5>kalki-mark-good: %s\n' "$*" >/dev/kmsg 2>/dev/null || true; }

# The management port from kalki.yaml's `management: listen:` (default 8080, as the firmware's).
management_port() {
    local port
    port=$(awk '/^management:/ { m = 1; next } /^[^[:space:]#]/ { m = 0 } m && /listen:/ { print; exit }' "$CONFIG" 2>/dev/null |
        sed -nE 's/.*:([0-9]+)["'\'' ]*(#.*)?$/\1/p')
    echo "${port:-8080}"
}

# GET /health on loopback answers 200. The dashboard listens with TLS unless kalki.yaml puts it on loopback only
# (then plain HTTP): try TLS first (the certificate is the appliance's own, so it is not verified), then plain.
health_ok() {
    local port=$1 request='GET /health HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n' status
    # shellcheck disable=SC2059  # the request's escapes are printf's to expand
    status=$(printf "$request" | timeout 30 openssl s_client -quiet -connect "127.0.0.1:$port" 2>/dev/null | head -n1 | tr -d '\r')
    if [[ $status != HTTP/* ]]; then
        exec 3<>"/dev/tcp/127.0.0.1/$port" 2>/dev/null || return 1
        # shellcheck disable=SC2059
        printf "$request" >&3
        status=$(timeout 10 head -n1 <&3 | tr -d '\r')
        exec 3<&- 3>&-
    fi
    [[ $status == HTTP/1.[01]\ 200* ]]
}

booted_slot() { sed -n 's/.*rauc\.slot=\([A-Za-z0-9]*\).*/\1/p' /proc/cmdline; }

# The slot that is not booted can take over: its boot status is "good" (in BOOT_ORDER with attempts left) and it holds
# a root file system. A fresh card's slot B is "good" to the bootchooser but empty: rebooting towards it would loop.
other_slot_good() {
    local device
    device=$(rauc status --detailed --output-format=shell 2>/dev/null | awk -F= '
        /^RAUC_SLOT_STATE_[0-9]+=/ { split($1, a, "_"); state[a[4]] = $2 }
        /^RAUC_SLOT_BOOT_STATUS_[0-9]+=/ { split($1, a, "_"); boot[a[5]] = $2 }
        /^RAUC_SLOT_DEVICE_[0-9]+=/ { split($1, a, "_"); dev[a[4]] = $2 }
        END { for (i in state) if (state[i] !~ /booted/ && boot[i] ~ /good/) { gsub(/'"'"'/, "", dev[i]); print dev[i]; exit } }')
    [[ -n $device ]] && [[ -n $(blkid -p -s TYPE -o value "$device" 2>/dev/null) ]]
}

main() {
    local slot port deadline
    slot=$(booted_slot)
    [[ -n $slot ]] || { log "not booted through the bootchooser (no rauc.slot= on the kernel command line); nothing to mark"; exit 0; }
    port=$(management_port)
    deadline=$((SECONDS + TIMEOUT))
    while ((SECONDS < deadline)); do
        if systemctl -q is-active kalki-edge.service && health_ok "$port"; then
            if rauc status mark-good booted; then
                log "slot $slot is healthy (kalki-edge READY, /health 200): marked good"
                exit 0
            fi
            log "slot $slot is healthy but rauc could not mark it good"
            exit 1
        fi
        sleep 5
    done
    if other_slot_good; then
        log "slot $slot did not become healthy within ${TIMEOUT} s: rebooting (this slot's boot attempts are counted)"
        systemctl --no-block reboot
    else
        log "slot $slot did not become healthy within ${TIMEOUT} s and no other slot is good: staying up"
    fi
    exit 1
}

main "$@"
