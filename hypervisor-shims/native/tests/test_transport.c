/*
 * The uxmhf code path against scripted "hypervisors" (through the internal transport seam):
 * a faithful one, one that echoes but never signs, one that answers garbage, one that fails I/O.
 */
#include <string.h>

#include "ks_abi.h"
#include "ks_crypto.h"
#include "ks_internal.h"
#include "ks_test.h"

typedef enum behaviour { FAITHFUL, ECHO_ONLY, GARBAGE_ECHO, SILENT, IO_ERROR } behaviour_t;

typedef struct fake {
    behaviour_t behaviour;
    int calls[2]; /* [0] uhcalltest, [1] uhsign */
    int released;
    int misaligned; /* buffers not at a page start */
    uint32_t last_pkt_size;
    uint32_t last_vaddr;
    int dirty_tail; /* pkt bytes beyond pkt_size that were not zero */
} fake_t;

/* Stands in for the hypervisor's compiled-in key (any length: it is not the emulated 32 bytes). */
static const char fake_hv_key[] = "fake-hypervisor-compiled-in-key";

static void fake_sign(fake_t *f, ks_uhsign_param_t *p)
{
    f->last_pkt_size = p->pkt_size;
    f->last_vaddr = p->vaddr;
    for (size_t i = p->pkt_size; i < sizeof p->pkt; i++)
        f->dirty_tail |= p->pkt[i] != 0;
    if (f->behaviour == FAITHFUL)
        ks_hmac_sha256((const uint8_t *)fake_hv_key, sizeof fake_hv_key - 1, p->pkt, p->pkt_size, p->digest);
}

static void fake_echo(fake_t *f, ks_uhcalltest_param_t *p)
{
    if (f->behaviour == SILENT)
        return;
    memcpy(p->out, p->in, sizeof p->out);
    if (f->behaviour == GARBAGE_ECHO)
        p->out[5] ^= 0x01;
}

static int fake_issue(void *ctx, unsigned long function, void *buffer, unsigned long len)
{
    fake_t *f = ctx;
    (void)len;
    f->misaligned |= (uintptr_t)buffer % KS_UH_PAGE_SIZE != 0;
    if (f->behaviour == IO_ERROR && f->calls[0] > 0)
        return KS_ERR_DEVICE_IO;
    if (function == KS_UH_FN_UHCALLTEST) {
        f->calls[0]++;
        fake_echo(f, buffer);
    } else {
        f->calls[1]++;
        fake_sign(f, buffer);
    }
    return KS_OK;
}

static void fake_release(void *ctx)
{
    ((fake_t *)ctx)->released++;
}

static ks_transport_t fake_transport(fake_t *f, behaviour_t b)
{
    *f = (fake_t){.behaviour = b};
    return (ks_transport_t){
        .issue = fake_issue, .release = fake_release, .ctx = f, .capabilities = KS_CAP_HW_HMAC_KEY};
}

static ks_handle_t *open_fake(fake_t *f, behaviour_t b)
{
    ks_transport_t t = fake_transport(f, b);
    ks_handle_t *h = NULL;
    CHECK_RC(ks_open_with_transport(&t, KS_BACKEND_UXMHF, &h), KS_OK);
    return h;
}

static void faithful_hypervisor_is_used_and_reported_as_hardware(void)
{
    fake_t f;
    ks_handle_t *h = open_fake(&f, FAITHFUL);
    CHECK_RC(ks_backend(h), KS_BACKEND_UXMHF);
    CHECK_RC(ks_probe_status(h), KS_OK);
    CHECK(ks_capabilities(h) == KS_CAP_HW_HMAC_KEY);

    uint8_t data[300], expected[32], mac[32];
    memset(data, 0x33, sizeof data);
    ks_hmac_sha256((const uint8_t *)fake_hv_key, sizeof fake_hv_key - 1, data, sizeof data, expected);
    CHECK_RC(ks_hmac(h, data, sizeof data, mac), KS_OK);
    CHECK(memcmp(mac, expected, 32) == 0);
    CHECK_RC(ks_hmac_verify(h, data, sizeof data, mac), KS_OK);
    CHECK(f.last_pkt_size == sizeof data);
    CHECK(f.last_vaddr == 0);
    CHECK(f.misaligned == 0);
    ks_close(h);
    CHECK(f.released == 1);
}

static void no_stale_packet_bytes_reach_the_hypervisor(void)
{
    fake_t f;
    ks_handle_t *h = open_fake(&f, FAITHFUL);
    uint8_t big[KS_HMAC_MAX_INPUT], mac[32];
    memset(big, 0xee, sizeof big);
    CHECK_RC(ks_hmac(h, big, sizeof big, mac), KS_OK);
    CHECK_RC(ks_hmac(h, big, 10, mac), KS_OK);
    CHECK(f.dirty_tail == 0);
    ks_close(h);
}

static void a_sign_call_that_did_nothing_is_an_error(void)
{
    fake_t f;
    ks_handle_t *h = open_fake(&f, ECHO_ONLY);
    uint8_t mac[32], zero[32] = {0};
    CHECK_RC(ks_hmac(h, (const uint8_t *)"frame", 5, mac), KS_ERR_NO_RESULT);
    CHECK(memcmp(mac, zero, 32) == 0); /* the sentinel is never handed out as a MAC */
    uint8_t sentinel_mac[32];
    ks_fill_sentinel(sentinel_mac, sizeof sentinel_mac);
    CHECK_RC(ks_hmac_verify(h, (const uint8_t *)"frame", 5, sentinel_mac), KS_ERR_NO_RESULT);
    CHECK(f.calls[1] == 2);
    ks_close(h);
}

static void open_fails_when_the_echo_is_wrong_or_missing(void)
{
    const behaviour_t bad[] = {GARBAGE_ECHO, SILENT};
    const int expected[] = {KS_ERR_SELFTEST, KS_ERR_NO_RESULT};
    for (size_t i = 0; i < 2; i++) {
        fake_t f;
        ks_transport_t t = fake_transport(&f, bad[i]);
        ks_handle_t *h = NULL;
        CHECK_RC(ks_open_with_transport(&t, KS_BACKEND_UXMHF, &h), expected[i]);
        CHECK(h == NULL);
        CHECK(f.released == 1);
        CHECK(f.calls[1] == 0); /* no sign call after a failed self-test */
    }
}

static void transport_errors_are_reported(void)
{
    fake_t f;
    ks_handle_t *h = open_fake(&f, IO_ERROR); /* the self-test call succeeds, later ones fail */
    uint8_t mac[32], pcr[20] = {0};
    CHECK_RC(ks_hmac(h, (const uint8_t *)"x", 1, mac), KS_ERR_DEVICE_IO);
    CHECK_RC(ks_selftest(h), KS_ERR_DEVICE_IO);
    CHECK_RC(ks_pcr_extend(h, 0, pcr), KS_OK); /* PCRs are the shim's own, no call involved */
    ks_close(h);
}

static void invalid_requests_never_reach_the_hypervisor(void)
{
    fake_t f;
    ks_handle_t *h = open_fake(&f, FAITHFUL);
    int sign_calls = f.calls[1];
    static uint8_t data[KS_HMAC_MAX_INPUT + 1];
    uint8_t mac[32], pcr[20] = {0};
    CHECK_RC(ks_hmac(h, data, sizeof data, mac), KS_ERR_TOO_LARGE);
    CHECK_RC(ks_hmac(h, NULL, 3, mac), KS_ERR_INVALID_ARGUMENT);
    CHECK_RC(ks_pcr_extend(h, KS_PCR_COUNT, pcr), KS_ERR_PCR_INDEX);
    CHECK_RC(ks_pcr_read(h, 1, pcr), KS_OK);
    CHECK(f.calls[1] == sign_calls);
    ks_close(h);
}

static void hardware_claims_require_the_hardware_backend(void)
{
    fake_t f;
    ks_transport_t t = fake_transport(&f, FAITHFUL); /* claims KS_CAP_HW_HMAC_KEY */
    ks_handle_t *h = NULL;
    CHECK_RC(ks_open_with_transport(&t, KS_BACKEND_EMULATED, &h), KS_OK);
    CHECK_RC(ks_backend(h), KS_BACKEND_EMULATED);
    CHECK(ks_capabilities(h) == 0);
    ks_close(h);

    CHECK_RC(ks_open_with_transport(&t, KS_BACKEND_AUTO, &h), KS_ERR_INVALID_ARGUMENT);
    CHECK_RC(ks_open_with_transport(NULL, KS_BACKEND_UXMHF, &h), KS_ERR_INVALID_ARGUMENT);
}

static const ks_test_case_t cases[] = {
    {"faithful_hypervisor_is_used_and_reported_as_hardware", faithful_hypervisor_is_used_and_reported_as_hardware},
    {"no_stale_packet_bytes_reach_the_hypervisor", no_stale_packet_bytes_reach_the_hypervisor},
    {"a_sign_call_that_did_nothing_is_an_error", a_sign_call_that_did_nothing_is_an_error},
    {"open_fails_when_the_echo_is_wrong_or_missing", open_fails_when_the_echo_is_wrong_or_missing},
    {"transport_errors_are_reported", transport_errors_are_reported},
    {"invalid_requests_never_reach_the_hypervisor", invalid_requests_never_reach_the_hypervisor},
    {"hardware_claims_require_the_hardware_backend", hardware_claims_require_the_hardware_backend},
};

KS_TEST_MAIN(cases)
