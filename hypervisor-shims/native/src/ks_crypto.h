/*
 * Small, dependency-free SHA-1, SHA-256 and HMAC-SHA256 (FIPS 180-4, RFC 2104), so the Pi image
 * needs no libcrypto for the shim. Checked against FIPS 180 and RFC 4231 vectors in tests/.
 */
#ifndef KS_CRYPTO_H
#define KS_CRYPTO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define KS_HASH_BLOCK 64u
#define KS_SHA256_SIZE 32u
#define KS_SHA1_DIGEST_SIZE 20u

/* Merkle–Damgård message buffer shared by SHA-1 and SHA-256 (same block size and padding). */
typedef struct ks_md_buffer {
    uint8_t block[KS_HASH_BLOCK];
    size_t used;
    uint64_t total_bytes;
} ks_md_buffer_t;

typedef struct ks_sha256_ctx {
    uint32_t h[8];
    ks_md_buffer_t md;
} ks_sha256_ctx_t;

typedef struct ks_sha1_ctx {
    uint32_t h[5];
    ks_md_buffer_t md;
} ks_sha1_ctx_t;

void ks_sha256_init(ks_sha256_ctx_t *ctx);
void ks_sha256_update(ks_sha256_ctx_t *ctx, const void *data, size_t len);
void ks_sha256_final(ks_sha256_ctx_t *ctx, uint8_t out[KS_SHA256_SIZE]);
void ks_sha256(const void *data, size_t len, uint8_t out[KS_SHA256_SIZE]);

void ks_sha1_init(ks_sha1_ctx_t *ctx);
void ks_sha1_update(ks_sha1_ctx_t *ctx, const void *data, size_t len);
void ks_sha1_final(ks_sha1_ctx_t *ctx, uint8_t out[KS_SHA1_DIGEST_SIZE]);
void ks_sha1(const void *data, size_t len, uint8_t out[KS_SHA1_DIGEST_SIZE]);

/* HMAC-SHA256 with the key's inner/outer pads hashed once, saving two blocks per message. */
typedef struct ks_hmac_key {
    ks_sha256_ctx_t inner;
    ks_sha256_ctx_t outer;
} ks_hmac_key_t;

void ks_hmac_key_init(ks_hmac_key_t *key, const uint8_t *secret, size_t secret_len);
void ks_hmac_compute(const ks_hmac_key_t *key, const void *data, size_t len, uint8_t out[KS_SHA256_SIZE]);
void ks_hmac_sha256(const uint8_t *secret, size_t secret_len, const void *data, size_t len,
                    uint8_t out[KS_SHA256_SIZE]);

/* Compares without data-dependent branches or early exit, so timing leaks no prefix length. */
bool ks_ct_equal(const uint8_t *a, const uint8_t *b, size_t len);

/* Zeroes secrets in a way the compiler may not elide. */
void ks_wipe(void *p, size_t len);

#endif /* KS_CRYPTO_H */
