/* SHA-256 / SHA-1 against FIPS 180 examples, HMAC-SHA256 against RFC 4231, constant-time compare. */
#include <stdlib.h>
#include <string.h>

#include "ks_crypto.h"
#include "ks_internal.h"
#include "ks_test.h"

typedef struct hash_vector {
    const char *message; /* NULL: `repeat` copies of 'a' */
    size_t repeat;
    const char *sha256;
    const char *sha1;
} hash_vector_t;

/* FIPS 180 examples, then block-boundary lengths (55/56/63/64/65...: padding edge cases). */
static const hash_vector_t hash_vectors[] = {
    {"", 0, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
     "da39a3ee5e6b4b0d3255bfef95601890afd80709"},
    {"abc", 0, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad",
     "a9993e364706816aba3e25717850c26c9cd0d89d"},
    {"abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq", 0,
     "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1",
     "84983e441c3bd26ebaae4aa1f95129e5e54670f1"},
    {NULL, 55, "9f4390f8d30c2dd92ec9f095b65e2b9ae9b0a925a5258e241c9f1e910f734318",
     "c1c8bbdc22796e28c0e15163d20899b65621d65a"},
    {NULL, 56, "b35439a4ac6f0948b6d6f9e3c6af0f5f590ce20f1bde7090ef7970686ec6738a",
     "c2db330f6083854c99d4b5bfb6e8f29f201be699"},
    {NULL, 63, "7d3e74a05d7db15bce4ad9ec0658ea98e3f06eeecf16b4c6fff2da457ddc2f34",
     "03f09f5b158a7a8cdad920bddc29b81c18a551f5"},
    {NULL, 64, "ffe054fe7ae0cb6dc65c3af9b61d5209f439851db43d0ba5997337df154668eb",
     "0098ba824b5c16427bd7a1122a5a442a25ec644d"},
    {NULL, 65, "635361c48bb9eab14198e76ea8ab7f1a41685d6ad62aa9146d301d4f17eb0ae0",
     "11655326c708d70319be2610e8a57d9a5b959d3b"},
    {NULL, 119, "31eba51c313a5c08226adf18d4a359cfdfd8d2e816b13f4af952f7ea6584dcfb",
     "ee971065aaa017e0632a8ca6c77bb3bf8b1dfc56"},
    {NULL, 120, "2f3d335432c70b580af0e8e1b3674a7c020d683aa5f73aaaedfdc55af904c21c",
     "f34c1488385346a55709ba056ddd08280dd4c6d6"},
    {NULL, 128, "6836cf13bac400e9105071cd6af47084dfacad4e5e302c94bfed24e013afb73e",
     "ad5b3fdbcb526778c2839d2f151ea753995e26a0"},
    {NULL, 1000000, "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0",
     "34aa973cd4c4daa4f61eeb2bdbad27316534016f"},
};

/* Returns a malloc'd message for the vector; *len receives its length. */
static uint8_t *vector_message(const hash_vector_t *v, size_t *len)
{
    *len = v->message != NULL ? strlen(v->message) : v->repeat;
    uint8_t *buf = malloc(*len + 1);
    if (buf == NULL)
        exit(2);
    if (v->message != NULL)
        memcpy(buf, v->message, *len);
    else
        memset(buf, 'a', *len);
    return buf;
}

static void sha256_matches_fips_vectors(void)
{
    for (size_t i = 0; i < sizeof hash_vectors / sizeof hash_vectors[0]; i++) {
        size_t len;
        uint8_t *msg = vector_message(&hash_vectors[i], &len);
        uint8_t expected[32], actual[32];
        ks_test_hex(hash_vectors[i].sha256, expected, sizeof expected);
        ks_sha256(msg, len, actual);
        CHECK(memcmp(actual, expected, sizeof expected) == 0);
        free(msg);
    }
}

static void sha1_matches_fips_vectors(void)
{
    for (size_t i = 0; i < sizeof hash_vectors / sizeof hash_vectors[0]; i++) {
        size_t len;
        uint8_t *msg = vector_message(&hash_vectors[i], &len);
        uint8_t expected[20], actual[20];
        ks_test_hex(hash_vectors[i].sha1, expected, sizeof expected);
        ks_sha1(msg, len, actual);
        CHECK(memcmp(actual, expected, sizeof expected) == 0);
        free(msg);
    }
}

/* Feeding the message in uneven pieces must give the one-shot digest (buffering logic). */
static void incremental_updates_equal_one_shot(void)
{
    uint8_t msg[300];
    for (size_t i = 0; i < sizeof msg; i++)
        msg[i] = (uint8_t)(i * 7 + 3);
    const size_t chunks[] = {1, 3, 63, 64, 65, 100};
    for (size_t c = 0; c < sizeof chunks / sizeof chunks[0]; c++) {
        ks_sha256_ctx_t s256;
        ks_sha1_ctx_t s1;
        ks_sha256_init(&s256);
        ks_sha1_init(&s1);
        for (size_t off = 0; off < sizeof msg; off += chunks[c]) {
            size_t n = sizeof msg - off < chunks[c] ? sizeof msg - off : chunks[c];
            ks_sha256_update(&s256, msg + off, n);
            ks_sha1_update(&s1, msg + off, n);
        }
        uint8_t a256[32], b256[32], a1[20], b1[20];
        ks_sha256_final(&s256, a256);
        ks_sha1_final(&s1, a1);
        ks_sha256(msg, sizeof msg, b256);
        ks_sha1(msg, sizeof msg, b1);
        CHECK(memcmp(a256, b256, 32) == 0);
        CHECK(memcmp(a1, b1, 20) == 0);
    }
}

typedef struct hmac_vector {
    uint8_t key_byte; /* 0: key is bytes 0x01..key_len */
    size_t key_len;
    const char *key_text; /* overrides key_byte when set */
    uint8_t data_byte;
    size_t data_len;
    const char *data_text; /* overrides data_byte when set */
    size_t compare_len;    /* test case 5 checks a 128-bit truncation */
    const char *mac;
} hmac_vector_t;

/* RFC 4231 §4.2–4.8, HMAC-SHA-256. */
static const hmac_vector_t hmac_vectors[] = {
    {0x0b, 20, NULL, 0, 0, "Hi There", 32, "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7"},
    {0, 0, "Jefe", 0, 0, "what do ya want for nothing?", 32,
     "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"},
    {0xaa, 20, NULL, 0xdd, 50, NULL, 32, "773ea91e36800e46854db8ebd09181a72959098b3ef8c122d9635514ced565fe"},
    {0x00, 25, NULL, 0xcd, 50, NULL, 32, "82558a389a443c0ea4cc819899f2083a85f0faa3e578f8077a2e3ff46729665b"},
    {0x0c, 20, NULL, 0, 0, "Test With Truncation", 16, "a3b6167473100ee06e0c796c2955552b"},
    {0xaa, 131, NULL, 0, 0, "Test Using Larger Than Block-Size Key - Hash Key First", 32,
     "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54"},
    {0xaa, 131, NULL, 0, 0,
     "This is a test using a larger than block-size key and a larger than block-size data. The key "
     "needs to be hashed before being used by the HMAC algorithm.",
     32, "9b09ffa71b942fcb27635fbcd5b0e944bfdc63644f0713938a7f51535c3a35e2"},
};

static size_t fill_bytes(uint8_t *out, const char *text, uint8_t byte, size_t len, int counting)
{
    if (text != NULL) {
        memcpy(out, text, strlen(text));
        return strlen(text);
    }
    for (size_t i = 0; i < len; i++)
        out[i] = counting ? (uint8_t)(i + 1) : byte;
    return len;
}

static void hmac_matches_rfc4231(void)
{
    for (size_t i = 0; i < sizeof hmac_vectors / sizeof hmac_vectors[0]; i++) {
        const hmac_vector_t *v = &hmac_vectors[i];
        uint8_t key[200], data[200], expected[32], actual[32];
        size_t key_len = fill_bytes(key, v->key_text, v->key_byte, v->key_len, v->key_byte == 0);
        size_t data_len = fill_bytes(data, v->data_text, v->data_byte, v->data_len, 0);
        ks_test_hex(v->mac, expected, v->compare_len);
        ks_hmac_sha256(key, key_len, data, data_len, actual);
        if (memcmp(actual, expected, v->compare_len) != 0)
            fprintf(stderr, "  RFC 4231 test case %zu mismatched\n", i + 1);
        CHECK(memcmp(actual, expected, v->compare_len) == 0);
    }
}

static void precomputed_key_equals_one_shot(void)
{
    const uint8_t secret[32] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10};
    ks_hmac_key_t key;
    ks_hmac_key_init(&key, secret, sizeof secret);
    for (size_t len = 0; len <= 1600; len += 97) {
        uint8_t data[1600] = {0}, a[32], b[32];
        memset(data, (int)len, len);
        ks_hmac_compute(&key, data, len, a);
        ks_hmac_sha256(secret, sizeof secret, data, len, b);
        CHECK(memcmp(a, b, 32) == 0);
    }
}

static void ct_equal_is_correct_for_every_bit(void)
{
    uint8_t a[32], b[32];
    for (size_t i = 0; i < sizeof a; i++)
        a[i] = (uint8_t)(i * 13);
    memcpy(b, a, sizeof a);
    CHECK(ks_ct_equal(a, b, sizeof a));
    CHECK(ks_ct_equal(a, b, 0));
    for (size_t bit = 0; bit < 8 * sizeof a; bit++) {
        b[bit / 8] ^= (uint8_t)(1u << (bit % 8));
        CHECK(!ks_ct_equal(a, b, sizeof a));
        b[bit / 8] ^= (uint8_t)(1u << (bit % 8));
    }
    CHECK(ks_ct_equal(a, b, sizeof a));
}

static void power_on_known_answer_tests_pass(void)
{
    CHECK_RC(ks_crypto_selftest(), KS_OK);
}

static const ks_test_case_t cases[] = {
    {"sha256_matches_fips_vectors", sha256_matches_fips_vectors},
    {"sha1_matches_fips_vectors", sha1_matches_fips_vectors},
    {"incremental_updates_equal_one_shot", incremental_updates_equal_one_shot},
    {"hmac_matches_rfc4231", hmac_matches_rfc4231},
    {"precomputed_key_equals_one_shot", precomputed_key_equals_one_shot},
    {"ct_equal_is_correct_for_every_bit", ct_equal_is_correct_for_every_bit},
    {"power_on_known_answer_tests_pass", power_on_known_answer_tests_pass},
};

KS_TEST_MAIN(cases)
