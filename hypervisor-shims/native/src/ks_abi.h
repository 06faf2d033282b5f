/*
 * The uberXMHF user-space ABI as the shim uses it, written from the public description of the
 * interface (no uberXMHF code). Layouts are pinned with compile-time checks because a layout
 * the hypervisor reads differently can halt the whole machine.
 */
#ifndef KS_ABI_H
#define KS_ABI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "kalkishim.h"

/* uApp function ids. */
#define KS_UH_FN_UHCALLTEST 10ul /* echo: copies in[] to out[] */
#define KS_UH_FN_UHSIGN 0x69ul   /* HMAC-SHA256 with the hypervisor's compiled-in key */

/*
 * µTPM ids, recorded so they are recognised — and refused. Their parameter block keeps the PCR
 * bank in the caller's buffer and its layout differs between uberXMHF revisions; guessing it wrong
 * halts the machine. The shim therefore keeps PCRs itself on both backends (see README).
 */
#define KS_UH_FN_UTPM_FIRST 0x10ul
#define KS_UH_FN_UTPM_LAST 0x15ul

/* The call buffer must lie inside one 4 KiB page: the kernel module pins exactly one. */
#define KS_UH_PAGE_SIZE 4096u

/* Byte written into every output field before a call; still there afterwards = call did nothing. */
#define KS_SENTINEL_BYTE 0xA5u

/* What user space write()s to /dev/uhcallkmod. Native word sizes, as the kernel module reads it. */
typedef struct ks_uhcall_request {
    unsigned long function;
    void *buffer;
    unsigned long len;
} ks_uhcall_request_t;

_Static_assert(sizeof(unsigned long) == sizeof(void *), "uhcall request assumes LP32/LP64");
_Static_assert(offsetof(ks_uhcall_request_t, function) == 0, "uhcall function offset");
_Static_assert(offsetof(ks_uhcall_request_t, buffer) == sizeof(unsigned long), "uhcall buffer offset");
_Static_assert(offsetof(ks_uhcall_request_t, len) == 2 * sizeof(unsigned long), "uhcall len offset");
_Static_assert(sizeof(ks_uhcall_request_t) == 3 * sizeof(unsigned long), "uhcall request size");

/* uhcalltest (id 10). */
typedef struct ks_uhcalltest_param {
    uint8_t in[16];
    uint8_t out[16];
} ks_uhcalltest_param_t;

_Static_assert(offsetof(ks_uhcalltest_param_t, in) == 0, "uhcalltest in offset");
_Static_assert(offsetof(ks_uhcalltest_param_t, out) == 16, "uhcalltest out offset");
_Static_assert(sizeof(ks_uhcalltest_param_t) == 32, "uhcalltest size");

/* uhsign (id 0x69). pkt_size is NOT checked by the hypervisor: the shim must. */
#define KS_UHSIGN_PKT_MAX 1600u

typedef struct ks_uhsign_param {
    uint8_t pkt[KS_UHSIGN_PKT_MAX];
    uint32_t pkt_size;
    uint8_t digest[32];
    uint32_t vaddr; /* not read by the public uhsign uApp; the shim always passes 0 */
} ks_uhsign_param_t;

_Static_assert(offsetof(ks_uhsign_param_t, pkt) == 0, "uhsign pkt offset");
_Static_assert(offsetof(ks_uhsign_param_t, pkt_size) == 1600, "uhsign pkt_size offset");
_Static_assert(offsetof(ks_uhsign_param_t, digest) == 1604, "uhsign digest offset");
_Static_assert(offsetof(ks_uhsign_param_t, vaddr) == 1636, "uhsign vaddr offset");
_Static_assert(sizeof(ks_uhsign_param_t) == 1640, "uhsign size");
_Static_assert(sizeof(((ks_uhsign_param_t *)0)->digest) == KS_DIGEST_SIZE, "uhsign digest width");
_Static_assert(KS_UHSIGN_PKT_MAX == KS_HMAC_MAX_INPUT, "public limit equals pkt[] capacity");
_Static_assert(sizeof(ks_uhsign_param_t) <= KS_UH_PAGE_SIZE, "uhsign fits one page");

/* Only these ids may ever reach a transport: anything else would halt uberXMHF. */
bool ks_uh_function_allowed(unsigned long function);

/* KS_OK if (function, buffer, len) is safe to hand to the hypervisor, else the reason. */
int ks_uh_check_call(unsigned long function, const void *buffer, unsigned long len);

void ks_fill_sentinel(uint8_t *field, size_t len);
bool ks_is_sentinel(const uint8_t *field, size_t len);

#endif /* KS_ABI_H */
