#!/bin/sh
# Installs Suricata 7 from Debian bookworm-backports as the IPS reference peer (the ips element's alerts are checked against it), without
# editing the machine's own apt sources: a private sources list (same mirror as the machine uses, plus the
# bookworm-backports suite) and private list/cache directories are passed to apt-get with -o options.
# Idempotent: does nothing when `suricata -V` already reports version 7.
set -eu

if command -v suricata >/dev/null 2>&1 && suricata -V 2>/dev/null | grep -q 'version 7\.'; then
    suricata -V
    exit 0
fi

if [ "$(id -u)" -ne 0 ]; then
    echo "install-suricata.sh: must run as root (apt-get install)" >&2
    exit 1
fi

STATE="${SURICATA_APT_DIR:-/var/tmp/kalkiedge-suricata-apt}"
# The mirror the machine already uses (see the script).
MIRROR=$("$(dirname "$0")/../../tools/debian-mirror.sh")
KEYRING=/usr/share/keyrings/debian-archive-keyring.gpg

mkdir -p "$STATE/lists/partial" "$STATE/cache/archives/partial"
LIST="$STATE/bookworm-backports.list"
# bookworm itself is listed too: with the machine's sources switched off, dependencies come from here.
cat > "$LIST" <<SOURCES
deb [signed-by=$KEYRING] $MIRROR bookworm main
deb [signed-by=$KEYRING] $MIRROR bookworm-updates main
deb [signed-by=$KEYRING] $MIRROR bookworm-backports main
SOURCES

APT_OPTS="-o Dir::Etc::sourcelist=$LIST -o Dir::Etc::sourceparts=- -o Dir::State::lists=$STATE/lists -o Dir::Cache=$STATE/cache"
echo "install-suricata.sh: mirror $MIRROR, private apt state in $STATE"
# shellcheck disable=SC2086
apt-get $APT_OPTS update
# shellcheck disable=SC2086
DEBIAN_FRONTEND=noninteractive apt-get $APT_OPTS install -y --no-install-recommends -t bookworm-backports suricata

# The package enables a service; the peer is only ever run offline (-r file.pcap), so keep the daemon off.
if command -v systemctl >/dev/null 2>&1 && [ -d /run/systemd/system ]; then
    systemctl disable --now suricata >/dev/null 2>&1 || true
fi

suricata -V | grep 'version 7\.' || { echo "install-suricata.sh: installed Suricata is not version 7" >&2; exit 1; }
