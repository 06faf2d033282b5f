#!/bin/sh
# Makes an arm64 sysroot for running the published linux-arm64 firmware under qemu-aarch64-static (make test-arm64):
# the loader and the shared libraries the published firmware opens (libc, libstdc++, libgcc, libpcap and its
# dependencies, OpenSSL, zlib; the firmware runs with invariant globalization, so no ICU). Prints the sysroot's path on standard output.
#
# Source, first that applies:
#   1. the SD image build's cached root file system (image-build/cache/rootfs-*.tar, complete ones only);
#   2. arm64 .debs from the machine's own Debian mirror, fetched with apt-get under private state (no
#      `dpkg --add-architecture`, nothing in the machine's apt configuration changes) and unpacked with dpkg-deb -x.
# Cached in $ARM64_SYSROOT_DIR (default out/arm64-sysroot): a second run costs nothing; the .debs are ~25 MB
# once. Remove the directory to fetch again.
set -eu

ROOT=$(cd "$(dirname "$0")/.." && pwd)
SYSROOT="${ARM64_SYSROOT_DIR:-$ROOT/out/arm64-sysroot}"
LOADER=lib/ld-linux-aarch64.so.1
PACKAGES="libc6 libgcc-s1 libstdc++6 gcc-12-base libpcap0.8 libdbus-1-3 libsystemd0 libcap2 libgcrypt20 libgpg-error0
liblz4-1 liblzma5 libzstd1 zlib1g libssl3"
READY="$SYSROOT/.complete"

log() { echo "arm64-sysroot: $*" >&2; }

if [ -f "$READY" ] && [ -e "$SYSROOT/$LOADER" ]; then
    echo "$SYSROOT"
    exit 0
fi

rm -rf "$SYSROOT"
mkdir -p "$SYSROOT"

complete() { [ -e "$SYSROOT/$LOADER" ] && ls "$SYSROOT"/usr/lib/aarch64-linux-gnu/libpcap.so.0.8 "$SYSROOT"/lib/aarch64-linux-gnu/libpcap.so.0.8 2>/dev/null | grep -q .; }

ROOTFS=$(ls -t "$ROOT"/image-build/cache/rootfs-*.tar 2>/dev/null | head -n 1 || true)
if [ -n "$ROOTFS" ]; then
    log "extracting the libraries of the image's cached root file system $ROOTFS"
    # mmdebstrap's tar: ./lib is the merged-/usr link to usr/lib. A missing member is not an error here: the
    # check below decides, and falls back to the .debs.
    tar -xf "$ROOTFS" -C "$SYSROOT" --wildcards './lib' './usr/lib/ld-linux-aarch64.so.1' './usr/lib/aarch64-linux-gnu/*' 2>/dev/null || true
    complete || { log "no loader or libpcap in $ROOTFS: using .debs instead"; rm -rf "$SYSROOT"; mkdir -p "$SYSROOT"; ROOTFS=""; }
fi
if [ -z "$ROOTFS" ]; then
    command -v apt-get >/dev/null 2>&1 && command -v dpkg-deb >/dev/null 2>&1 ||
        { log "needs apt-get and dpkg-deb (a Debian machine) or a cached image root file system"; exit 1; }
    STATE="${ARM64_APT_DIR:-/var/tmp/kalkiedge-arm64-apt}"
    MIRROR=$("$ROOT/tools/debian-mirror.sh")
    mkdir -p "$STATE/lists/partial" "$STATE/cache/archives/partial" "$STATE/debs"
    : > "$STATE/status"
    LIST="$STATE/arm64.list"
    echo "deb [arch=arm64 signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] $MIRROR bookworm main" > "$LIST"
    echo "deb [arch=arm64 signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] $MIRROR bookworm-updates main" >> "$LIST"
    set -- -o Dir::Etc::sourcelist="$LIST" -o Dir::Etc::sourceparts=- -o Dir::State::lists="$STATE/lists" \
        -o Dir::State::status="$STATE/status" -o Dir::Cache="$STATE/cache" \
        -o APT::Architecture=arm64 -o APT::Architectures::=arm64 -o Debug::NoLocking=1 -o APT::Sandbox::User=root
    log "fetching arm64 libraries from $MIRROR (private apt state in $STATE)"
    apt-get "$@" update >/dev/null
    # shellcheck disable=SC2086
    (cd "$STATE/debs" && rm -f ./*.deb && apt-get "$@" download $PACKAGES >/dev/null)
    for deb in "$STATE"/debs/*.deb; do
        dpkg-deb -x "$deb" "$SYSROOT"
    done
fi

# bookworm is merged-/usr: the loader path the binary asks for is /lib/ld-linux-aarch64.so.1.
if [ ! -e "$SYSROOT/$LOADER" ] && [ -e "$SYSROOT/usr/$LOADER" ]; then
    mkdir -p "$SYSROOT/lib"
    ln -sf "../usr/$LOADER" "$SYSROOT/$LOADER"
fi
[ -e "$SYSROOT/$LOADER" ] || { log "no arm64 loader ($LOADER) in $SYSROOT"; exit 1; }
touch "$READY"
echo "$SYSROOT"
