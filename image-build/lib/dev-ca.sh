#!/usr/bin/env bash
# The development CA that signs update bundles, made by the build on first use and never committed
# (image-build/cache/ is ignored by git). Usage: dev-ca.sh DIR [NAME]
#   DIR/ca.cert.pem       the keyring an image trusts (and nothing else)
#   DIR/signing.cert.pem  the bundle signer, issued by the CA (no extended key usage: RAUC's default check)
#   DIR/ca.key.pem, DIR/signing.key.pem  private keys, mode 0600
# An existing, complete DIR is kept: every bundle of a build host chains to the same keyring.
# A production build passes its own DIR holding a CA kept offline and a signer it issued.
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=common.sh
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"

main() {
    (($# >= 1)) || die "usage: dev-ca.sh DIR [NAME]"
    local dir=$1 name=${2:-KalkiEdge development CA}
    if [[ -f $dir/ca.cert.pem && -f $dir/signing.cert.pem && -f $dir/signing.key.pem ]]; then
        return
    fi
    mkdir -p "$dir" && chmod 700 "$dir"
    local conf="$dir/openssl.cnf"
    cat >"$conf" <<'CNF'
[ca_ext]
basicConstraints = critical, CA:TRUE
keyUsage = critical, keyCertSign, cRLSign
subjectKeyIdentifier = hash
[signer_ext]
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
CNF
    (umask 077
     openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 3650 \
         -subj "/O=KalkiEdge/CN=$name (not for production)" -keyout "$dir/ca.key.pem" -out "$dir/ca.cert.pem" \
         -config "$conf" -extensions ca_ext 2>/dev/null
     openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes \
         -subj "/O=KalkiEdge/CN=$name bundle signer" -keyout "$dir/signing.key.pem" -out "$dir/signing.csr" 2>/dev/null
     openssl x509 -req -in "$dir/signing.csr" -CA "$dir/ca.cert.pem" -CAkey "$dir/ca.key.pem" -CAcreateserial \
         -days 3650 -extfile "$conf" -extensions signer_ext -out "$dir/signing.cert.pem" 2>/dev/null)
    rm -f "$dir/signing.csr" "$dir/ca.cert.srl"
    log "made the bundle-signing CA in $dir (development keys: never ship them)"
}

main "$@"
