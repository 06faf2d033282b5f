#!/bin/sh
# Prints the Debian mirror this machine's apt already uses: the first "URIs:" of debian.sources that is not the
# security archive, else the first "deb" line of sources.list, else the Debian default. Scripts that fetch
# packages under private apt state (tests/peers/install-suricata.sh, tools/arm64-sysroot.sh) use the same one.
set -eu
MACHINE_SOURCES=/etc/apt/sources.list.d/debian.sources
MIRROR=""
if [ -r "$MACHINE_SOURCES" ]; then
    MIRROR=$(awk '/^URIs:/ { for (i = 2; i <= NF; i++) if ($i !~ /security/) { print $i; exit } }' "$MACHINE_SOURCES")
fi
if [ -z "$MIRROR" ] && [ -r /etc/apt/sources.list ]; then
    MIRROR=$(awk '$1 == "deb" && $0 !~ /security/ { for (i = 2; i <= NF; i++) if ($i ~ /^[a-z]+:\/\//) { print $i; exit } }' /etc/apt/sources.list)
fi
echo "${MIRROR:-http://deb.debian.org/debian}"
