#ifndef KS_RANDOM_H
#define KS_RANDOM_H

#include <stddef.h>

/* Fills out[0..len) from the kernel CSPRNG (getrandom); KS_OK or KS_ERR_ENTROPY. */
int ks_random_fill(void *out, size_t len);

#endif /* KS_RANDOM_H */
