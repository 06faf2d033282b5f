/*
 * The shim core: handles, backend selection, validation, sentinels and the PCR bank.
 * Everything the hypervisor does not check is checked here, before any call is issued.
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "kalkishim.h"
#include "ks_abi.h"
#include "ks_crypto.h"
#include "ks_internal.h"
#include "ks_random.h"
#include "ks_transport.h"

struct ks_handle {
    pthread_mutex_t lock; /* guards call_page and pcr */
    ks_transport_t transport;
    int backend;      /* KS_BACKEND_EMULATED or KS_BACKEND_UXMHF once attached */
    int probe_status; /* why uxmhf is or is not in use */
    /* Page-aligned mapping: a parameter block at its start can never straddle a 4 KiB page. */
    uint8_t *call_page;
    size_t call_page_len;
    /*
     * PCRs live here on both backends: the µTPM uApp keeps its bank in the caller's buffer anyway
     * and its layout is not stable across uberXMHF revisions (see README).
     */
    uint8_t pcr[KS_PCR_COUNT][KS_SHA1_SIZE];
};

/* ---- handle lifetime ---- */

static size_t call_page_size(void)
{
    long page = sysconf(_SC_PAGESIZE);
    return page >= (long)KS_UH_PAGE_SIZE ? (size_t)page : KS_UH_PAGE_SIZE;
}

static int handle_create(ks_handle_t **out)
{
    ks_handle_t *h = calloc(1, sizeof *h);
    if (h == NULL)
        return KS_ERR_NO_MEMORY;
    h->call_page_len = call_page_size();
    void *page = mmap(NULL, h->call_page_len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (page == MAP_FAILED) {
        free(h);
        return KS_ERR_NO_MEMORY;
    }
    if (pthread_mutex_init(&h->lock, NULL) != 0) {
        munmap(page, h->call_page_len);
        free(h);
        return KS_ERR_INTERNAL;
    }
    h->call_page = page;
    *out = h;
    return KS_OK;
}

static void detach_transport(ks_handle_t *h)
{
    if (h->transport.release != NULL)
        h->transport.release(h->transport.ctx);
    memset(&h->transport, 0, sizeof h->transport);
    h->backend = KS_BACKEND_AUTO;
}

static void handle_destroy(ks_handle_t *h)
{
    detach_transport(h);
    ks_wipe(h->call_page, h->call_page_len); /* last packet data and digest */
    munmap(h->call_page, h->call_page_len);
    pthread_mutex_destroy(&h->lock);
    ks_wipe(h, sizeof *h);
    free(h);
}

/* ---- calls through the transport (caller holds h->lock, or owns h exclusively) ---- */

static int issue_call(ks_handle_t *h, unsigned long function, unsigned long len)
{
    int rc = ks_uh_check_call(function, h->call_page, len);
    if (rc != KS_OK)
        return rc;
    return h->transport.issue(h->transport.ctx, function, h->call_page, len);
}

/* Echo of fresh random bytes: a node that does nothing, or answers garbage, cannot pass. */
static int echo_selftest_locked(ks_handle_t *h)
{
    ks_uhcalltest_param_t *p = (ks_uhcalltest_param_t *)h->call_page;
    memset(p, 0, sizeof *p);
    int rc = ks_random_fill(p->in, sizeof p->in);
    if (rc != KS_OK)
        return rc;
    if (ks_is_sentinel(p->in, sizeof p->in))
        p->in[0] ^= 0xFFu; /* an echo must be distinguishable from an untouched out[] */
    ks_fill_sentinel(p->out, sizeof p->out);

    rc = issue_call(h, KS_UH_FN_UHCALLTEST, sizeof *p);
    if (rc != KS_OK)
        return rc;
    if (memcmp(p->out, p->in, sizeof p->in) == 0)
        return KS_OK;
    return ks_is_sentinel(p->out, sizeof p->out) ? KS_ERR_NO_RESULT : KS_ERR_SELFTEST;
}

static int sign_locked(ks_handle_t *h, const uint8_t *data, size_t len, uint8_t digest[KS_DIGEST_SIZE])
{
    ks_uhsign_param_t *p = (ks_uhsign_param_t *)h->call_page;
    if (len > 0)
        memcpy(p->pkt, data, len);
    /* Clear the tail so no bytes of an earlier frame linger in memory shared with the hypervisor. */
    memset(p->pkt + len, 0, sizeof p->pkt - len);
    p->pkt_size = (uint32_t)len;
    p->vaddr = 0;
    ks_fill_sentinel(p->digest, sizeof p->digest);

    int rc = issue_call(h, KS_UH_FN_UHSIGN, sizeof *p);
    if (rc != KS_OK)
        return rc;
    if (ks_is_sentinel(p->digest, sizeof p->digest))
        return KS_ERR_NO_RESULT; /* the call did nothing: never hand out the sentinel as a MAC */
    memcpy(digest, p->digest, KS_DIGEST_SIZE);
    return KS_OK;
}

/* ---- opening ---- */

static int attach_transport(ks_handle_t *h, const ks_transport_t *t, int backend)
{
    h->transport = *t;
    h->backend = backend;
    int rc = echo_selftest_locked(h);
    if (rc != KS_OK)
        detach_transport(h);
    return rc;
}

static int attach_emulated(ks_handle_t *h, const ks_options_t *o)
{
    ks_transport_t t;
    int rc = ks_emulated_transport_open(o->key_path, &t);
    return rc == KS_OK ? attach_transport(h, &t, KS_BACKEND_EMULATED) : rc;
}

/* The only path to a hypercall: opt-in, then the node, then the echo self-test. */
static int attach_uxmhf(ks_handle_t *h, const ks_options_t *o)
{
    if (!o->allow_hypercalls)
        return KS_ERR_NOT_OPTED_IN;
    ks_transport_t t;
    int rc = ks_uxmhf_transport_open(o->device_path, &t);
    return rc == KS_OK ? attach_transport(h, &t, KS_BACKEND_UXMHF) : rc;
}

static int attach_backend(ks_handle_t *h, int requested, const ks_options_t *o)
{
    if (requested == KS_BACKEND_EMULATED) {
        h->probe_status = KS_ERR_NOT_PROBED;
        return attach_emulated(h, o);
    }
    h->probe_status = attach_uxmhf(h, o);
    if (h->probe_status == KS_OK || requested == KS_BACKEND_UXMHF)
        return h->probe_status; /* an explicit uxmhf request never silently degrades */
    return attach_emulated(h, o);
}

static int resolve_options(const ks_options_t *in, ks_options_t *out)
{
    *out = (ks_options_t){.size = sizeof *out, .allow_hypercalls = 0};
    if (in != NULL) {
        if (in->size != sizeof *in)
            return KS_ERR_INVALID_ARGUMENT;
        *out = *in;
    }
    if (out->key_path == NULL)
        out->key_path = KS_DEFAULT_KEY_PATH;
    if (out->device_path == NULL)
        out->device_path = KS_DEFAULT_DEVICE_PATH;
    return KS_OK;
}

static bool backend_id_valid(int backend)
{
    return backend == KS_BACKEND_AUTO || backend == KS_BACKEND_EMULATED || backend == KS_BACKEND_UXMHF;
}

int ks_open(int backend, const ks_options_t *options, ks_handle_t **out)
{
    if (out == NULL)
        return KS_ERR_INVALID_ARGUMENT;
    *out = NULL;
    ks_options_t opts;
    if (!backend_id_valid(backend) || resolve_options(options, &opts) != KS_OK)
        return KS_ERR_INVALID_ARGUMENT;

    ks_handle_t *h;
    int rc = handle_create(&h);
    if (rc != KS_OK)
        return rc;
    rc = attach_backend(h, backend, &opts);
    if (rc != KS_OK) {
        handle_destroy(h);
        return rc;
    }
    *out = h;
    return KS_OK;
}

int ks_open_with_transport(const ks_transport_t *transport, int backend, ks_handle_t **out)
{
    if (out == NULL)
        return KS_ERR_INVALID_ARGUMENT;
    *out = NULL;
    bool reportable = backend == KS_BACKEND_EMULATED || backend == KS_BACKEND_UXMHF;
    if (transport == NULL || transport->issue == NULL || !reportable)
        return KS_ERR_INVALID_ARGUMENT;

    ks_handle_t *h;
    int rc = handle_create(&h);
    if (rc == KS_OK) {
        h->probe_status = backend == KS_BACKEND_UXMHF ? KS_OK : KS_ERR_NOT_PROBED;
        rc = attach_transport(h, transport, backend);
        if (rc != KS_OK)
            handle_destroy(h);
    } else if (transport->release != NULL) {
        transport->release(transport->ctx);
    }
    if (rc == KS_OK)
        *out = h;
    return rc;
}

void ks_close(ks_handle_t *handle)
{
    if (handle != NULL)
        handle_destroy(handle);
}

/* ---- queries ---- */

int ks_backend(const ks_handle_t *handle)
{
    return handle != NULL ? handle->backend : KS_ERR_INVALID_ARGUMENT;
}

int ks_probe_status(const ks_handle_t *handle)
{
    return handle != NULL ? handle->probe_status : KS_ERR_INVALID_ARGUMENT;
}

uint32_t ks_capabilities(const ks_handle_t *handle)
{
    /* Hardware claims require the hardware backend, whatever a transport says about itself. */
    if (handle == NULL || handle->backend != KS_BACKEND_UXMHF)
        return 0;
    return handle->transport.capabilities;
}

/* ---- operations ---- */

static int lock_handle(ks_handle_t *h)
{
    return pthread_mutex_lock(&h->lock) == 0 ? KS_OK : KS_ERR_INTERNAL;
}

static void unlock_handle(ks_handle_t *h)
{
    pthread_mutex_unlock(&h->lock);
}

int ks_selftest(ks_handle_t *handle)
{
    if (handle == NULL)
        return KS_ERR_INVALID_ARGUMENT;
    int rc = ks_crypto_selftest();
    if (rc != KS_OK || (rc = lock_handle(handle)) != KS_OK)
        return rc;
    rc = echo_selftest_locked(handle);
    unlock_handle(handle);
    return rc;
}

static int check_hmac_args(const ks_handle_t *h, const uint8_t *data, size_t len, const uint8_t *digest)
{
    if (h == NULL || digest == NULL || (data == NULL && len > 0))
        return KS_ERR_INVALID_ARGUMENT;
    return len > KS_HMAC_MAX_INPUT ? KS_ERR_TOO_LARGE : KS_OK;
}

static int hmac_checked(ks_handle_t *h, const uint8_t *data, size_t len, uint8_t digest[KS_DIGEST_SIZE])
{
    int rc = lock_handle(h);
    if (rc != KS_OK)
        return rc;
    rc = sign_locked(h, data, len, digest);
    unlock_handle(h);
    return rc;
}

int ks_hmac(ks_handle_t *handle, const uint8_t *data, size_t len, uint8_t digest[KS_DIGEST_SIZE])
{
    int rc = check_hmac_args(handle, data, len, digest);
    if (rc == KS_OK)
        rc = hmac_checked(handle, data, len, digest);
    if (rc != KS_OK && digest != NULL)
        memset(digest, 0, KS_DIGEST_SIZE); /* a caller ignoring rc gets no plausible MAC */
    return rc;
}

int ks_hmac_verify(ks_handle_t *handle, const uint8_t *data, size_t len, const uint8_t digest[KS_DIGEST_SIZE])
{
    int rc = check_hmac_args(handle, data, len, digest);
    if (rc != KS_OK)
        return rc;
    uint8_t expected[KS_DIGEST_SIZE];
    rc = hmac_checked(handle, data, len, expected);
    if (rc == KS_OK && !ks_ct_equal(expected, digest, KS_DIGEST_SIZE))
        rc = KS_ERR_VERIFY_MISMATCH;
    ks_wipe(expected, sizeof expected);
    return rc;
}

static int check_pcr_args(const ks_handle_t *h, uint32_t index, const uint8_t *buf)
{
    if (h == NULL || buf == NULL)
        return KS_ERR_INVALID_ARGUMENT;
    return index < KS_PCR_COUNT ? KS_OK : KS_ERR_PCR_INDEX;
}

int ks_pcr_extend(ks_handle_t *handle, uint32_t index, const uint8_t sha1[KS_SHA1_SIZE])
{
    int rc = check_pcr_args(handle, index, sha1);
    if (rc != KS_OK || (rc = lock_handle(handle)) != KS_OK)
        return rc;
    ks_sha1_ctx_t ctx;
    ks_sha1_init(&ctx);
    ks_sha1_update(&ctx, handle->pcr[index], KS_SHA1_SIZE);
    ks_sha1_update(&ctx, sha1, KS_SHA1_SIZE);
    ks_sha1_final(&ctx, handle->pcr[index]);
    unlock_handle(handle);
    return KS_OK;
}

int ks_pcr_read(ks_handle_t *handle, uint32_t index, uint8_t out[KS_SHA1_SIZE])
{
    int rc = check_pcr_args(handle, index, out);
    if (rc != KS_OK || (rc = lock_handle(handle)) != KS_OK)
        return rc;
    memcpy(out, handle->pcr[index], KS_SHA1_SIZE);
    unlock_handle(handle);
    return KS_OK;
}
