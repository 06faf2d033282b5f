#ifndef KS_KEYFILE_H
#define KS_KEYFILE_H

#include <stdint.h>

#include "kalkishim.h"

/*
 * Loads the emulated backend's KS_KEY_SIZE-byte key from `path`, creating it from the kernel
 * CSPRNG on first start. The file must be a regular file (no symlink), owned by the effective
 * user, with no group/other permission bits, and exactly KS_KEY_SIZE bytes: anything else is
 * refused, never repaired, because a key others could have read is no longer secret.
 */
int ks_keyfile_load_or_create(const char *path, uint8_t key[KS_KEY_SIZE]);

#endif /* KS_KEYFILE_H */
