#!/bin/bash
# Enable key-only SSH from /boot/firmware/ssh_authorized_keys: host keys live on the data partition
# (generated here, once per appliance); the authorized keys are copied to /run with strict modes for sshd.
set -euo pipefail

SSH_STATE=/data/ssh
SOURCE_KEYS=/boot/firmware/ssh_authorized_keys

main() {
    install -d -m 0700 "$SSH_STATE"
    local type
    for type in ed25519 ecdsa rsa; do
        [[ -s $SSH_STATE/ssh_host_${type}_key ]] ||
            ssh-keygen -q -t "$type" -N '' -C "kalki-edge" -f "$SSH_STATE/ssh_host_${type}_key"
    done
    install -d -m 0755 /run/kalki-ssh
    install -m 0600 -o root -g root "$SOURCE_KEYS" /run/kalki-ssh/root
}

main "$@"
