#include "kalkishim.h"

const char *ks_strerror(int status)
{
    switch ((ks_status_t)status) {
    case KS_OK:
        return "success";
    case KS_ERR_INVALID_ARGUMENT:
        return "invalid argument (null pointer, bad backend id or options size mismatch)";
    case KS_ERR_TOO_LARGE:
        return "input larger than the 1600-byte uhsign packet buffer";
    case KS_ERR_PCR_INDEX:
        return "PCR index out of range (0..23)";
    case KS_ERR_NO_MEMORY:
        return "out of memory";
    case KS_ERR_NOT_OPTED_IN:
        return "hypercalls are not enabled in the configuration";
    case KS_ERR_DEVICE_ABSENT:
        return "uberXMHF device node does not exist";
    case KS_ERR_DEVICE_OPEN:
        return "uberXMHF device node could not be opened";
    case KS_ERR_DEVICE_IO:
        return "write to the uberXMHF device node failed";
    case KS_ERR_NO_RESULT:
        return "hypercall returned without writing its output (sentinel still present)";
    case KS_ERR_SELFTEST:
        return "self-test failed: echo or known-answer mismatch";
    case KS_ERR_VERIFY_MISMATCH:
        return "HMAC does not match";
    case KS_ERR_KEY_FILE:
        return "emulated key file could not be read or created";
    case KS_ERR_KEY_PERMISSIONS:
        return "emulated key file is not a regular file owned by this user with mode 0600";
    case KS_ERR_KEY_FORMAT:
        return "emulated key file does not hold exactly 32 bytes";
    case KS_ERR_ENTROPY:
        return "kernel random number generator failed";
    case KS_ERR_UNKNOWN_FUNCTION:
        return "refused: uApp function id not on the shim's allowlist";
    case KS_ERR_BAD_BUFFER:
        return "refused: call buffer has the wrong size or crosses a 4 KiB page";
    case KS_ERR_NOT_PROBED:
        return "uberXMHF not probed: emulated backend requested explicitly";
    case KS_ERR_INTERNAL:
        return "internal error (lock failure)";
    case KS_ERR_NOT_UHCALL_DEVICE:
        return "refused: the device path is not the uhcallkmod character device (nothing was written)";
    }
    return "unknown status code";
}

const char *ks_backend_name(int backend)
{
    switch ((ks_backend_t)backend) {
    case KS_BACKEND_AUTO:
        return "auto";
    case KS_BACKEND_EMULATED:
        return "emulated";
    case KS_BACKEND_UXMHF:
        return "uxmhf";
    }
    return "unknown";
}
