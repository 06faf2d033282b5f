#include "ks_crypto.h"

#include <string.h>

typedef void (*ks_compress_fn)(uint32_t *h, const uint8_t block[KS_HASH_BLOCK]);

static uint32_t rotl32(uint32_t x, unsigned n) { return (x << n) | (x >> (32u - n)); }
static uint32_t rotr32(uint32_t x, unsigned n) { return (x >> n) | (x << (32u - n)); }

static uint32_t load_be32(const uint8_t *p)
{
    return ((uint32_t)p[0] << 24) | ((uint32_t)p[1] << 16) | ((uint32_t)p[2] << 8) | (uint32_t)p[3];
}

static void store_be32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)(v >> 24);
    p[1] = (uint8_t)(v >> 16);
    p[2] = (uint8_t)(v >> 8);
    p[3] = (uint8_t)v;
}

static void store_be64(uint8_t *p, uint64_t v)
{
    store_be32(p, (uint32_t)(v >> 32));
    store_be32(p + 4, (uint32_t)v);
}

static void store_words_be(uint8_t *out, const uint32_t *h, size_t words)
{
    for (size_t i = 0; i < words; i++)
        store_be32(out + 4 * i, h[i]);
}

/* ---- Merkle–Damgård framing shared by both hashes ---- */

static void md_update(ks_md_buffer_t *md, uint32_t *h, ks_compress_fn compress, const uint8_t *data,
                      size_t len)
{
    md->total_bytes += len;
    if (md->used > 0) {
        size_t take = KS_HASH_BLOCK - md->used;
        if (take > len)
            take = len;
        memcpy(md->block + md->used, data, take);
        md->used += take;
        data += take;
        len -= take;
        if (md->used < KS_HASH_BLOCK)
            return;
        compress(h, md->block);
        md->used = 0;
    }
    for (; len >= KS_HASH_BLOCK; data += KS_HASH_BLOCK, len -= KS_HASH_BLOCK)
        compress(h, data);
    memcpy(md->block, data, len);
    md->used = len;
}

/* Appends 0x80, zeros, and the 64-bit big-endian bit length (FIPS 180-4 §5.1.1). */
static void md_finish(ks_md_buffer_t *md, uint32_t *h, ks_compress_fn compress)
{
    const size_t length_field = 8;
    uint64_t bits = md->total_bytes * 8u;

    md->block[md->used++] = 0x80;
    if (md->used > KS_HASH_BLOCK - length_field) {
        memset(md->block + md->used, 0, KS_HASH_BLOCK - md->used);
        compress(h, md->block);
        md->used = 0;
    }
    memset(md->block + md->used, 0, KS_HASH_BLOCK - length_field - md->used);
    store_be64(md->block + KS_HASH_BLOCK - length_field, bits);
    compress(h, md->block);
    md->used = 0;
}

/* ---- SHA-256 (FIPS 180-4 §6.2) ---- */

static const uint32_t sha256_k[64] = {
    0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
    0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
    0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
    0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
    0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
    0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
    0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
    0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
};

static void sha256_compress(uint32_t *h, const uint8_t block[KS_HASH_BLOCK])
{
    uint32_t w[64];
    for (unsigned t = 0; t < 16; t++)
        w[t] = load_be32(block + 4 * t);
    for (unsigned t = 16; t < 64; t++) {
        uint32_t s0 = rotr32(w[t - 15], 7) ^ rotr32(w[t - 15], 18) ^ (w[t - 15] >> 3);
        uint32_t s1 = rotr32(w[t - 2], 17) ^ rotr32(w[t - 2], 19) ^ (w[t - 2] >> 10);
        w[t] = w[t - 16] + s0 + w[t - 7] + s1;
    }

    uint32_t a = h[0], b = h[1], c = h[2], d = h[3], e = h[4], f = h[5], g = h[6], hh = h[7];
    for (unsigned t = 0; t < 64; t++) {
        uint32_t t1 = hh + (rotr32(e, 6) ^ rotr32(e, 11) ^ rotr32(e, 25)) + ((e & f) ^ (~e & g)) +
                      sha256_k[t] + w[t];
        uint32_t t2 = (rotr32(a, 2) ^ rotr32(a, 13) ^ rotr32(a, 22)) + ((a & b) ^ (a & c) ^ (b & c));
        hh = g;
        g = f;
        f = e;
        e = d + t1;
        d = c;
        c = b;
        b = a;
        a = t1 + t2;
    }
    h[0] += a;
    h[1] += b;
    h[2] += c;
    h[3] += d;
    h[4] += e;
    h[5] += f;
    h[6] += g;
    h[7] += hh;
}

void ks_sha256_init(ks_sha256_ctx_t *ctx)
{
    static const uint32_t iv[8] = {0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a,
                                   0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19};
    memcpy(ctx->h, iv, sizeof iv);
    memset(&ctx->md, 0, sizeof ctx->md);
}

void ks_sha256_update(ks_sha256_ctx_t *ctx, const void *data, size_t len)
{
    md_update(&ctx->md, ctx->h, sha256_compress, data, len);
}

void ks_sha256_final(ks_sha256_ctx_t *ctx, uint8_t out[KS_SHA256_SIZE])
{
    md_finish(&ctx->md, ctx->h, sha256_compress);
    store_words_be(out, ctx->h, 8);
    ks_wipe(ctx, sizeof *ctx);
}

void ks_sha256(const void *data, size_t len, uint8_t out[KS_SHA256_SIZE])
{
    ks_sha256_ctx_t ctx;
    ks_sha256_init(&ctx);
    ks_sha256_update(&ctx, data, len);
    ks_sha256_final(&ctx, out);
}

/* ---- SHA-1 (FIPS 180-4 §6.1), used only for PCR extend, as TPM 1.2 PCRs are SHA-1 ---- */

static uint32_t sha1_f(unsigned t, uint32_t b, uint32_t c, uint32_t d)
{
    if (t < 20)
        return (b & c) | (~b & d);
    if (t < 40 || t >= 60)
        return b ^ c ^ d;
    return (b & c) | (b & d) | (c & d);
}

static uint32_t sha1_k(unsigned t)
{
    static const uint32_t k[4] = {0x5a827999, 0x6ed9eba1, 0x8f1bbcdc, 0xca62c1d6};
    return k[t / 20];
}

static void sha1_compress(uint32_t *h, const uint8_t block[KS_HASH_BLOCK])
{
    uint32_t w[80];
    for (unsigned t = 0; t < 16; t++)
        w[t] = load_be32(block + 4 * t);
    for (unsigned t = 16; t < 80; t++)
        w[t] = rotl32(w[t - 3] ^ w[t - 8] ^ w[t - 14] ^ w[t - 16], 1);

    uint32_t a = h[0], b = h[1], c = h[2], d = h[3], e = h[4];
    for (unsigned t = 0; t < 80; t++) {
        uint32_t temp = rotl32(a, 5) + sha1_f(t, b, c, d) + e + sha1_k(t) + w[t];
        e = d;
        d = c;
        c = rotl32(b, 30);
        b = a;
        a = temp;
    }
    h[0] += a;
    h[1] += b;
    h[2] += c;
    h[3] += d;
    h[4] += e;
}

void ks_sha1_init(ks_sha1_ctx_t *ctx)
{
    static const uint32_t iv[5] = {0x67452301, 0xefcdab89, 0x98badcfe, 0x10325476, 0xc3d2e1f0};
    memcpy(ctx->h, iv, sizeof iv);
    memset(&ctx->md, 0, sizeof ctx->md);
}

void ks_sha1_update(ks_sha1_ctx_t *ctx, const void *data, size_t len)
{
    md_update(&ctx->md, ctx->h, sha1_compress, data, len);
}

void ks_sha1_final(ks_sha1_ctx_t *ctx, uint8_t out[KS_SHA1_DIGEST_SIZE])
{
    md_finish(&ctx->md, ctx->h, sha1_compress);
    store_words_be(out, ctx->h, 5);
    ks_wipe(ctx, sizeof *ctx);
}

void ks_sha1(const void *data, size_t len, uint8_t out[KS_SHA1_DIGEST_SIZE])
{
    ks_sha1_ctx_t ctx;
    ks_sha1_init(&ctx);
    ks_sha1_update(&ctx, data, len);
    ks_sha1_final(&ctx, out);
}

/* ---- HMAC-SHA256 (RFC 2104) ---- */

static void start_padded(ks_sha256_ctx_t *ctx, const uint8_t block_key[KS_HASH_BLOCK], uint8_t pad)
{
    uint8_t padded[KS_HASH_BLOCK];
    for (unsigned i = 0; i < KS_HASH_BLOCK; i++)
        padded[i] = block_key[i] ^ pad;
    ks_sha256_init(ctx);
    ks_sha256_update(ctx, padded, sizeof padded);
    ks_wipe(padded, sizeof padded);
}

void ks_hmac_key_init(ks_hmac_key_t *key, const uint8_t *secret, size_t secret_len)
{
    uint8_t block_key[KS_HASH_BLOCK] = {0};
    if (secret_len > KS_HASH_BLOCK)
        ks_sha256(secret, secret_len, block_key); /* long keys are hashed first (RFC 2104 §2) */
    else if (secret_len > 0)
        memcpy(block_key, secret, secret_len);
    start_padded(&key->inner, block_key, 0x36);
    start_padded(&key->outer, block_key, 0x5c);
    ks_wipe(block_key, sizeof block_key);
}

void ks_hmac_compute(const ks_hmac_key_t *key, const void *data, size_t len, uint8_t out[KS_SHA256_SIZE])
{
    ks_sha256_ctx_t ctx = key->inner;
    uint8_t inner_digest[KS_SHA256_SIZE];
    ks_sha256_update(&ctx, data, len);
    ks_sha256_final(&ctx, inner_digest);

    ctx = key->outer;
    ks_sha256_update(&ctx, inner_digest, sizeof inner_digest);
    ks_sha256_final(&ctx, out);
    ks_wipe(inner_digest, sizeof inner_digest);
}

void ks_hmac_sha256(const uint8_t *secret, size_t secret_len, const void *data, size_t len,
                    uint8_t out[KS_SHA256_SIZE])
{
    ks_hmac_key_t key;
    ks_hmac_key_init(&key, secret, secret_len);
    ks_hmac_compute(&key, data, len, out);
    ks_wipe(&key, sizeof key);
}

/* ---- helpers ---- */

bool ks_ct_equal(const uint8_t *a, const uint8_t *b, size_t len)
{
    /* volatile keeps the compiler from turning the OR-accumulation into an early-exit loop. */
    volatile uint8_t diff = 0;
    for (size_t i = 0; i < len; i++)
        diff = (uint8_t)(diff | (a[i] ^ b[i]));
    return diff == 0;
}

void ks_wipe(void *p, size_t len)
{
    explicit_bzero(p, len);
}
