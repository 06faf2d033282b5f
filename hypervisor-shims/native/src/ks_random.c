#include "ks_random.h"

#include <errno.h>
#include <stdint.h>
#include <sys/random.h>

#include "kalkishim.h"

int ks_random_fill(void *out, size_t len)
{
    uint8_t *p = out;
    while (len > 0) {
        /* Blocking mode (flags 0): at early boot we wait for the pool rather than take weak bytes. */
        ssize_t got = getrandom(p, len, 0);
        if (got < 0) {
            if (errno == EINTR)
                continue;
            return KS_ERR_ENTROPY;
        }
        p += got;
        len -= (size_t)got;
    }
    return KS_OK;
}
