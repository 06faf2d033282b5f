# shellcheck shell=bash
# Shared helpers for the image pipeline. Sourced, never executed.
# Every script that sources this runs with `set -euo pipefail`.

# Without this, a failing command inside $(...) is ignored and the stage carries on with garbage.
shopt -s inherit_errexit

# Paths are absolute so stages can cd freely; REPO_ROOT is the git work tree.
IMAGE_BUILD_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
REPO_ROOT="$(cd "$IMAGE_BUILD_DIR/.." && pwd)"
CACHE_DIR="${KALKI_IMAGE_CACHE:-$IMAGE_BUILD_DIR/cache}"
# Debian's U-Boot for QEMU -M virt (u-boot-qemu): the QEMU tests boot the image through it, as a Pi's U-Boot would.
QEMU_UBOOT=/usr/lib/u-boot/qemu_arm64/u-boot.bin

log()  { printf '[%s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
die()  { printf 'error: %s\n' "$*" >&2; exit 1; }

require_root() {
    # mmdebstrap (root mode), mke2fs -d of root-owned files and binfmt registration all need root.
    [[ $(id -u) -eq 0 ]] || die "$1 must run as root (it reads root-only files and registers binfmt handlers)"
}

# Time a named step and log its duration, so `make image` output doubles as the measurement record.
timed() {
    local name=$1; shift
    local start=$SECONDS
    "$@"
    log "$name took $((SECONDS - start)) s"
}

# hash_inputs ARG... -> prints a short content hash of files, directories and literal strings.
# Directories are hashed by relative path + mode + content of every file (sorted), so renames count.
hash_inputs() {
    local item
    for item in "$@"; do
        if [[ -d $item ]]; then
            (cd "$item" && find . \( -type f -o -type l \) -print0 | LC_ALL=C sort -z |
                while IFS= read -r -d '' f; do
                    if [[ -L $f ]]; then printf 'L %s %s\n' "$f" "$(readlink "$f")"
                    else printf 'F %s %s %s\n' "$f" "$(stat -c %a "$f")" "$(sha256sum <"$f" | cut -c1-64)"; fi
                done)
        elif [[ -f $item ]]; then
            printf 'F %s %s\n' "$(basename "$item")" "$(sha256sum <"$item" | cut -c1-64)"
        else
            printf 'S %s\n' "$item"
        fi
    done | sha256sum | cut -c1-16
}

# Keep only the newest N cache entries matching a glob: the cache must not grow without bound on a shared disk.
prune_cache() {
    local pattern=$1 keep=${2:-2}
    # shellcheck disable=SC2012,SC2086  # names are ours (no newlines); $pattern must glob
    ls -1dt "$CACHE_DIR"/$pattern 2>/dev/null | tail -n +$((keep + 1)) | while read -r old; do
        log "pruning old cache entry $(basename "$old")"
        rm -rf -- "$old"
    done
}

# Version of the product: VERSION env wins, else <Version> from Directory.Build.props.
product_version() {
    if [[ -n ${VERSION:-} ]]; then printf '%s\n' "$VERSION"; return; fi
    local v
    v=$(sed -n 's:.*<Version>\(.*\)</Version>.*:\1:p' "$REPO_ROOT/Directory.Build.props" 2>/dev/null | head -n1)
    printf '%s\n' "${v:-0.0.0-dev}"
}
