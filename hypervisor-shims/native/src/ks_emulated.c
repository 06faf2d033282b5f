/*
 * The emulated backend: the uhcalltest and uhsign uApps served in software, on the very same
 * parameter blocks the hypervisor would see. The HMAC key comes from a root-only key file.
 */
#include <stdlib.h>
#include <string.h>

#include "ks_abi.h"
#include "ks_crypto.h"
#include "ks_keyfile.h"
#include "ks_transport.h"

typedef struct emulated_ctx {
    ks_hmac_key_t key; /* pads precomputed once; the raw key is wiped after setup */
} emulated_ctx_t;

static void echo(ks_uhcalltest_param_t *p)
{
    memcpy(p->out, p->in, sizeof p->out);
}

static int sign(const emulated_ctx_t *ctx, ks_uhsign_param_t *p)
{
    /* The hypervisor trusts pkt_size; software refuses to read past pkt[] even if the core did not. */
    if (p->pkt_size > KS_UHSIGN_PKT_MAX)
        return KS_ERR_TOO_LARGE;
    ks_hmac_compute(&ctx->key, p->pkt, p->pkt_size, p->digest);
    return KS_OK;
}

static int emulated_issue(void *ctx, unsigned long function, void *buffer, unsigned long len)
{
    int rc = ks_uh_check_call(function, buffer, len);
    if (rc != KS_OK)
        return rc;
    if (function == KS_UH_FN_UHCALLTEST) {
        echo(buffer);
        return KS_OK;
    }
    return sign(ctx, buffer);
}

static void emulated_release(void *ctx)
{
    if (ctx == NULL)
        return;
    ks_wipe(ctx, sizeof(emulated_ctx_t));
    free(ctx);
}

int ks_emulated_transport_open(const char *key_path, ks_transport_t *out)
{
    uint8_t raw[KS_KEY_SIZE];
    int rc = ks_keyfile_load_or_create(key_path, raw);
    if (rc != KS_OK)
        return rc;

    emulated_ctx_t *ctx = calloc(1, sizeof *ctx);
    if (ctx == NULL) {
        ks_wipe(raw, sizeof raw);
        return KS_ERR_NO_MEMORY;
    }
    ks_hmac_key_init(&ctx->key, raw, sizeof raw);
    ks_wipe(raw, sizeof raw);

    *out = (ks_transport_t){
        .issue = emulated_issue,
        .release = emulated_release,
        .ctx = ctx,
        .capabilities = 0, /* software: nothing here is hardware-protected, ever */
    };
    return KS_OK;
}
