/*
 * kalkishim — KalkiEdge's user-space shim to the uberXMHF micro-hypervisor.
 *
 * Two backends with identical call-buffer layouts, validation and semantics:
 *   - KS_BACKEND_UXMHF:    uApp calls through /dev/uhcallkmod (HMAC key held by the hypervisor);
 *   - KS_BACKEND_EMULATED: the same calls served in software (key from a root-only key file).
 * The shim never issues a hypercall unless the caller opts in AND the device answers the
 * uhcalltest echo self-test: on uberXMHF an unknown call halts the whole machine.
 *
 * Every function returns a ks_status_t code (KS_OK == 0, errors < 0); nothing aborts.
 * A handle may be used from several threads; calls on it are serialized internally.
 */
#ifndef KALKISHIM_H
#define KALKISHIM_H

#include <stddef.h>
#include <stdint.h>

#if defined(__GNUC__)
#define KS_API __attribute__((visibility("default")))
#else
#define KS_API
#endif

#ifdef __cplusplus
extern "C" {
#endif

enum {
    KS_DIGEST_SIZE = 32,      /* HMAC-SHA256 output */
    KS_SHA1_SIZE = 20,        /* PCR width and extend input */
    KS_KEY_SIZE = 32,         /* emulated backend's HMAC key */
    KS_HMAC_MAX_INPUT = 1600, /* uhsign's pkt[] capacity: 50 SHA-256 digests */
    KS_PCR_COUNT = 24
};

typedef enum ks_backend {
    KS_BACKEND_AUTO = 0, /* uxmhf if opted in, present and self-tested; else emulated */
    KS_BACKEND_EMULATED = 1,
    KS_BACKEND_UXMHF = 2
} ks_backend_t;

/* What the backend in use protects in hardware (ks_capabilities). */
enum ks_capability {
    KS_CAP_HW_HMAC_KEY = 1u << 0, /* the HMAC key never leaves the hypervisor */
    KS_CAP_HW_PCR = 1u << 1       /* PCRs live in the hypervisor (not offered yet, see README) */
};

typedef enum ks_status {
    KS_OK = 0,
    KS_ERR_INVALID_ARGUMENT = -1,
    KS_ERR_TOO_LARGE = -2,
    KS_ERR_PCR_INDEX = -3,
    KS_ERR_NO_MEMORY = -4,
    KS_ERR_NOT_OPTED_IN = -5,
    KS_ERR_DEVICE_ABSENT = -6,
    KS_ERR_DEVICE_OPEN = -7,
    KS_ERR_DEVICE_IO = -8,
    KS_ERR_NO_RESULT = -9,
    KS_ERR_SELFTEST = -10,
    KS_ERR_VERIFY_MISMATCH = -11,
    KS_ERR_KEY_FILE = -12,
    KS_ERR_KEY_PERMISSIONS = -13,
    KS_ERR_KEY_FORMAT = -14,
    KS_ERR_ENTROPY = -15,
    KS_ERR_UNKNOWN_FUNCTION = -16,
    KS_ERR_BAD_BUFFER = -17,
    KS_ERR_NOT_PROBED = -18,
    KS_ERR_INTERNAL = -19,
    KS_ERR_NOT_UHCALL_DEVICE = -20
} ks_status_t;

/*
 * Open options. Layout is fixed for P/Invoke: two uint32 then two pointers.
 * `size` must be sizeof(ks_options_t) so a caller built against another layout is refused.
 */
typedef struct ks_options {
    uint32_t size;
    uint32_t allow_hypercalls; /* nonzero: configuration opts in to the uxmhf backend */
    const char *key_path;      /* emulated key file; NULL = KS_DEFAULT_KEY_PATH */
    const char *device_path;   /* NULL = KS_DEFAULT_DEVICE_PATH */
} ks_options_t;

#define KS_DEFAULT_KEY_PATH "/var/lib/kalkiedge/hypervisor-emulated.key"
#define KS_DEFAULT_DEVICE_PATH "/dev/uhcallkmod"

typedef struct ks_handle ks_handle_t;

/* Opens a handle. `options` may be NULL (defaults: hypercalls NOT allowed). *out is NULL on error. */
KS_API int ks_open(int backend, const ks_options_t *options, ks_handle_t **out);
KS_API void ks_close(ks_handle_t *handle);

/* KS_BACKEND_EMULATED or KS_BACKEND_UXMHF: the backend actually in use. */
KS_API int ks_backend(const ks_handle_t *handle);
/* Why uxmhf is (not) in use: KS_OK when it is, KS_ERR_NOT_PROBED when emulated was requested
 * explicitly, otherwise the probe's failure (not opted in, device absent, self-test failed...). */
KS_API int ks_probe_status(const ks_handle_t *handle);
/* Bit set of enum ks_capability; 0 for the emulated backend, always. */
KS_API uint32_t ks_capabilities(const ks_handle_t *handle);

/* Echo round trip through the backend plus known-answer tests of the software hashes. */
KS_API int ks_selftest(ks_handle_t *handle);

/* HMAC-SHA256 of data[0..len), len <= KS_HMAC_MAX_INPUT. digest is zeroed on error. */
KS_API int ks_hmac(ks_handle_t *handle, const uint8_t *data, size_t len, uint8_t digest[KS_DIGEST_SIZE]);
/* KS_OK if digest is the HMAC of data, KS_ERR_VERIFY_MISMATCH if not (constant-time compare). */
KS_API int ks_hmac_verify(ks_handle_t *handle, const uint8_t *data, size_t len,
                          const uint8_t digest[KS_DIGEST_SIZE]);

/* PCR[index] = SHA1(PCR[index] || sha1); PCRs start as 20 zero bytes. */
KS_API int ks_pcr_extend(ks_handle_t *handle, uint32_t index, const uint8_t sha1[KS_SHA1_SIZE]);
KS_API int ks_pcr_read(ks_handle_t *handle, uint32_t index, uint8_t out[KS_SHA1_SIZE]);

/* Static English text for a status code / backend id; never NULL. */
KS_API const char *ks_strerror(int status);
KS_API const char *ks_backend_name(int backend);

#ifdef __cplusplus
}
#endif

#endif /* KALKISHIM_H */
