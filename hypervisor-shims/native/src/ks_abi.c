#include "ks_abi.h"

#include <string.h>

bool ks_uh_function_allowed(unsigned long function)
{
    return function == KS_UH_FN_UHCALLTEST || function == KS_UH_FN_UHSIGN;
}

/* The expected parameter-block size of each allowed call; 0 for anything else. */
static unsigned long expected_len(unsigned long function)
{
    switch (function) {
    case KS_UH_FN_UHCALLTEST:
        return sizeof(ks_uhcalltest_param_t);
    case KS_UH_FN_UHSIGN:
        return sizeof(ks_uhsign_param_t);
    default:
        return 0;
    }
}

int ks_uh_check_call(unsigned long function, const void *buffer, unsigned long len)
{
    if (!ks_uh_function_allowed(function))
        return KS_ERR_UNKNOWN_FUNCTION;
    if (buffer == NULL || len != expected_len(function))
        return KS_ERR_BAD_BUFFER;
    /* The kernel module pins a single 4 KiB page: a block crossing into the next is refused. */
    uintptr_t offset_in_page = (uintptr_t)buffer % KS_UH_PAGE_SIZE;
    if (offset_in_page + len > KS_UH_PAGE_SIZE)
        return KS_ERR_BAD_BUFFER;
    return KS_OK;
}

void ks_fill_sentinel(uint8_t *field, size_t len)
{
    memset(field, KS_SENTINEL_BYTE, len);
}

bool ks_is_sentinel(const uint8_t *field, size_t len)
{
    for (size_t i = 0; i < len; i++) {
        if (field[i] != KS_SENTINEL_BYTE)
            return false;
    }
    return true;
}
