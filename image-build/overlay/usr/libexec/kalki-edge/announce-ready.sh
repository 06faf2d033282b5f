#!/bin/bash
# ExecStartPost of kalki-edge.service: systemd runs it only after the firmware sent READY=1, so this line on
# the console (HDMI/serial) and in the journal marks a ready appliance — for the integrator at the screen
# and for the QEMU boot test. Failing here never fails the service (the unit uses the '-' prefix).
set -euo pipefail
# shellcheck source=/dev/null
source /etc/kalki-edge-release
addresses=$(ip -4 -o addr show scope global 2>/dev/null | awk '{ split($4, a, "/"); printf "%s ", a[1] }')
printf '<5>kalki-edge: READY version %s, dashboard on %s(management port from kalki.yaml)\n' \
    "$KALKI_EDGE_VERSION" "${addresses:-no address yet }" >/dev/kmsg
