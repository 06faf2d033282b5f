#!/usr/bin/env bash
# Host test of the update bundle's trust chain, with the real `rauc`: a bundle made by lib/bundle.sh (the path
# `make bundle` takes) verifies against the build's keyring with the system.conf the image carries, and RAUC
# refuses, with its error, a bundle signed by another CA, a bundle whose payload was changed after signing (found
# by `rauc extract`, which checks the payload against the signed verity hash: `rauc info` checks the signature
# only), and an unsigned bundle. Runs in seconds (a small root tree, not the real one). Not covered here: RAUC's
# refusal at install of a bundle for another `compatible` (installing needs the appliance's slots).
# Prints "N passed, N failed" and exits non-zero on any failure; with JUNIT=FILE also writes the cases as JUnit XML
# (make test does, so the CI summary counts them).
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=lib/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"
LIB=$IMAGE_BUILD_DIR/lib

work=$(mktemp -d /tmp/kalki-bundle-test.XXXXXX)
trap 'rm -rf "$work"' EXIT
passed=0 failed=0 cases=""

xml() { sed 's/&/\&amp;/g; s/</\&lt;/g; s/>/\&gt;/g; s/"/\&quot;/g' <<<"$1"; }
pass() { passed=$((passed + 1)); printf 'ok    %s\n' "$1"; cases+="  <testcase classname=\"bundle\" name=\"$(xml "$1")\"/>"$'\n'; }
fail() {
    failed=$((failed + 1)); printf 'FAIL  %s\n' "$1"; [[ -n ${2:-} ]] && printf '      %s\n' "$2"
    cases+="  <testcase classname=\"bundle\" name=\"$(xml "$1")\"><failure message=\"$(xml "${2:-failed}")\"/></testcase>"$'\n'
}

# rauc info against the image's system.conf and the build's keyring; stdout+stderr in $work/out.
info() { rauc info --conf="$IMAGE_BUILD_DIR/rauc/system.conf" --keyring="$work/ca/ca.cert.pem" "$1" >"$work/out" 2>&1; }

expect_ok() {
    local what=$1 bundle=$2 want=$3
    if info "$bundle" && grep -q -- "$want" "$work/out"; then pass "$what"; else fail "$what" "$(tail -n 3 "$work/out")"; fi
}

expect_refused() {
    local what=$1 bundle=$2 reason=$3
    if info "$bundle"; then fail "$what" "rauc accepted it"
    elif grep -qi -- "$reason" "$work/out"; then pass "$what"
    else fail "$what" "refused, but not for '$reason': $(tail -n 2 "$work/out")"; fi
}

mkdir -p "$work/root/etc" "$work/root/opt/kalki-edge"
echo 'PRETTY_NAME="KalkiEdge bundle test"' >"$work/root/etc/os-release"
echo 9.9.9 >"$work/root/opt/kalki-edge/VERSION"
head -c 262144 /dev/urandom >"$work/root/opt/kalki-edge/payload"   # incompressible: a payload of realistic shape
"$LIB/dev-ca.sh" "$work/ca" 2>/dev/null
"$LIB/dev-ca.sh" "$work/other-ca" "Somebody else's CA" 2>/dev/null

"$LIB/bundle.sh" "$work/root" 9.9.9 "$work/ca" "$work/good.raucb"
expect_ok "a bundle signed by the build's CA verifies against the keyring" "$work/good.raucb" "Version:.*'9.9.9'"
expect_ok "its manifest names the product and the rootfs image" "$work/good.raucb" "rootfs.ext4"
compatible=$(sed -n 's/^compatible=//p' "$IMAGE_BUILD_DIR/rauc/system.conf")
grep -q "Compatible:.*'$compatible'" "$work/out" && pass "it is for the image's compatible ($compatible)" || fail "it is for the image's compatible ($compatible)" "$(cat "$work/out")"
if rauc extract --keyring="$work/ca/ca.cert.pem" "$work/good.raucb" "$work/extracted" >"$work/out" 2>&1 && [[ -f $work/extracted/rootfs.ext4 ]]; then
    pass "its payload verifies and extracts"
else
    fail "its payload verifies and extracts" "$(tail -n 2 "$work/out")"
fi

"$LIB/bundle.sh" "$work/root" 9.9.9 "$work/other-ca" "$work/foreign.raucb"
expect_refused "a bundle signed by another CA is refused" "$work/foreign.raucb" "signature"

cp "$work/good.raucb" "$work/tampered.raucb"
# One byte of the payload (inside the squashfs, well before the appended signature) changed after signing.
printf '\xff' | dd of="$work/tampered.raucb" bs=1 seek=4096 conv=notrunc status=none
if rauc extract --keyring="$work/ca/ca.cert.pem" "$work/tampered.raucb" "$work/tampered" >"$work/out" 2>&1; then
    fail "a bundle changed after signing is refused" "rauc extracted it"
elif grep -q "payload is corrupted" "$work/out"; then
    pass "a bundle changed after signing is refused"
else
    fail "a bundle changed after signing is refused" "refused, but not as corrupted: $(tail -n 2 "$work/out")"
fi

mkdir -p "$work/unsigned"
cp "$work/root/etc/os-release" "$work/unsigned/"
mksquashfs "$work/unsigned" "$work/unsigned.raucb" -quiet -noappend >/dev/null
expect_refused "an unsigned bundle is refused" "$work/unsigned.raucb" "signature\|bundle"


before=$(sha256sum <"$work/ca/ca.cert.pem")
"$LIB/dev-ca.sh" "$work/ca" 2>/dev/null
[[ $(sha256sum <"$work/ca/ca.cert.pem") == "$before" && $(stat -c %a "$work/ca/signing.key.pem") == 600 ]] \
    && pass "the CA is kept across runs and its keys are private" || fail "the CA is kept across runs and its keys are private"

if [[ -n ${JUNIT:-} ]]; then
    printf '<?xml version="1.0" encoding="UTF-8"?>\n<testsuite name="bundle" tests="%d" failures="%d">\n%s</testsuite>\n' \
        $((passed + failed)) "$failed" "$cases" >"$JUNIT"
fi
echo "$passed passed, $failed failed"
((failed == 0))
