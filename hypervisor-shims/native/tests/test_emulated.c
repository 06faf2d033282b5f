/* The public API on the emulated backend: semantics, validation, key file, opt-in rules. */
#include <fcntl.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ks_crypto.h"
#include "ks_test.h"

typedef struct fixture {
    char dir[PATH_MAX];
    char key_path[PATH_MAX];
    ks_handle_t *h;
} fixture_t;

static void fixture_open(fixture_t *f, int backend)
{
    ks_test_tmpdir(f->dir);
    ks_test_join(f->key_path, f->dir, "hypervisor.key");
    ks_options_t o = ks_test_options(f->key_path, NULL, 0);
    f->h = NULL;
    CHECK_RC(ks_open(backend, &o, &f->h), KS_OK);
    CHECK(f->h != NULL);
}

static void read_key(const char *path, uint8_t key[KS_KEY_SIZE])
{
    int fd = open(path, O_RDONLY);
    CHECK(fd >= 0);
    CHECK(read(fd, key, KS_KEY_SIZE) == KS_KEY_SIZE);
    close(fd);
}

static off_t file_size(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 ? st.st_size : -1;
}

static void reports_emulated_and_no_hardware_protection(void)
{
    const int requests[] = {KS_BACKEND_EMULATED, KS_BACKEND_AUTO};
    for (size_t i = 0; i < 2; i++) {
        fixture_t f;
        fixture_open(&f, requests[i]);
        CHECK_RC(ks_backend(f.h), KS_BACKEND_EMULATED);
        CHECK(ks_capabilities(f.h) == 0);
        CHECK_RC(ks_probe_status(f.h), requests[i] == KS_BACKEND_EMULATED ? KS_ERR_NOT_PROBED : KS_ERR_NOT_OPTED_IN);
        CHECK_RC(ks_selftest(f.h), KS_OK);
        ks_close(f.h);
    }
}

static void hmac_is_hmac_sha256_under_the_key_file_key(void)
{
    fixture_t f;
    fixture_open(&f, KS_BACKEND_EMULATED);
    uint8_t key[KS_KEY_SIZE];
    read_key(f.key_path, key);

    const size_t lengths[] = {0, 1, 64, 1599, KS_HMAC_MAX_INPUT};
    for (size_t i = 0; i < sizeof lengths / sizeof lengths[0]; i++) {
        uint8_t data[KS_HMAC_MAX_INPUT], expected[32], actual[32];
        for (size_t j = 0; j < lengths[i]; j++)
            data[j] = (uint8_t)(j ^ i);
        ks_hmac_sha256(key, sizeof key, data, lengths[i], expected);
        CHECK_RC(ks_hmac(f.h, data, lengths[i], actual), KS_OK);
        CHECK(memcmp(actual, expected, 32) == 0);
    }
    ks_close(f.h);
}

static void same_key_file_gives_same_macs_across_handles(void)
{
    fixture_t f;
    fixture_open(&f, KS_BACKEND_EMULATED);
    ks_options_t o = ks_test_options(f.key_path, NULL, 0);
    ks_handle_t *second = NULL;
    CHECK_RC(ks_open(KS_BACKEND_EMULATED, &o, &second), KS_OK);
    uint8_t a[32], b[32];
    CHECK_RC(ks_hmac(f.h, (const uint8_t *)"frame", 5, a), KS_OK);
    CHECK_RC(ks_hmac(second, (const uint8_t *)"frame", 5, b), KS_OK);
    CHECK(memcmp(a, b, 32) == 0);
    ks_close(second);
    ks_close(f.h);
}

static void oversize_input_is_refused_and_digest_zeroed(void)
{
    fixture_t f;
    fixture_open(&f, KS_BACKEND_EMULATED);
    static uint8_t data[KS_HMAC_MAX_INPUT + 1];
    uint8_t digest[32], zero[32] = {0};
    memset(digest, 0x5a, sizeof digest);
    CHECK_RC(ks_hmac(f.h, data, KS_HMAC_MAX_INPUT + 1, digest), KS_ERR_TOO_LARGE);
    CHECK(memcmp(digest, zero, 32) == 0);
    CHECK_RC(ks_hmac(f.h, data, SIZE_MAX, digest), KS_ERR_TOO_LARGE);
    CHECK_RC(ks_hmac_verify(f.h, data, KS_HMAC_MAX_INPUT + 1, digest), KS_ERR_TOO_LARGE);
    ks_close(f.h);
}

static void null_arguments_are_refused(void)
{
    fixture_t f;
    fixture_open(&f, KS_BACKEND_EMULATED);
    uint8_t digest[32], pcr[20] = {0};
    CHECK_RC(ks_hmac(NULL, (const uint8_t *)"x", 1, digest), KS_ERR_INVALID_ARGUMENT);
    CHECK_RC(ks_hmac(f.h, NULL, 1, digest), KS_ERR_INVALID_ARGUMENT);
    CHECK_RC(ks_hmac(f.h, (const uint8_t *)"x", 1, NULL), KS_ERR_INVALID_ARGUMENT);
    CHECK_RC(ks_hmac(f.h, NULL, 0, digest), KS_OK); /* empty message is legitimate */
    CHECK_RC(ks_hmac_verify(f.h, (const uint8_t *)"x", 1, NULL), KS_ERR_INVALID_ARGUMENT);
    CHECK_RC(ks_pcr_extend(NULL, 0, pcr), KS_ERR_INVALID_ARGUMENT);
    CHECK_RC(ks_pcr_read(f.h, 0, NULL), KS_ERR_INVALID_ARGUMENT);
    CHECK_RC(ks_selftest(NULL), KS_ERR_INVALID_ARGUMENT);
    CHECK_RC(ks_backend(NULL), KS_ERR_INVALID_ARGUMENT);
    CHECK(ks_capabilities(NULL) == 0);
    ks_close(NULL); /* no-op */
    ks_close(f.h);
}

static void verify_accepts_the_mac_and_rejects_any_flipped_bit(void)
{
    fixture_t f;
    fixture_open(&f, KS_BACKEND_EMULATED);
    uint8_t data[100], mac[32];
    memset(data, 0x42, sizeof data);
    CHECK_RC(ks_hmac(f.h, data, sizeof data, mac), KS_OK);
    CHECK_RC(ks_hmac_verify(f.h, data, sizeof data, mac), KS_OK);
    for (unsigned bit = 0; bit < 256; bit++) {
        mac[bit / 8] ^= (uint8_t)(1u << (bit % 8));
        CHECK_RC(ks_hmac_verify(f.h, data, sizeof data, mac), KS_ERR_VERIFY_MISMATCH);
        mac[bit / 8] ^= (uint8_t)(1u << (bit % 8));
    }
    data[99] ^= 0x80;
    CHECK_RC(ks_hmac_verify(f.h, data, sizeof data, mac), KS_ERR_VERIFY_MISMATCH);
    CHECK_RC(ks_hmac_verify(f.h, data, sizeof data - 1, mac), KS_ERR_VERIFY_MISMATCH);
    ks_close(f.h);
}

static void pcr_extend_is_sha1_of_old_and_new(void)
{
    fixture_t f;
    fixture_open(&f, KS_BACKEND_EMULATED);
    uint8_t pcr[20], expected[40] = {0}, m[20];
    for (uint32_t i = 0; i < KS_PCR_COUNT; i++) {
        CHECK_RC(ks_pcr_read(f.h, i, pcr), KS_OK);
        CHECK(memcmp(pcr, expected, 20) == 0); /* every PCR starts at zero */
    }
    for (int round = 0; round < 3; round++) {
        memset(m, 0x10 + round, sizeof m);
        memcpy(expected + 20, m, 20); /* expected[0..20) holds the previous value */
        ks_sha1(expected, 40, expected);
        CHECK_RC(ks_pcr_extend(f.h, 7, m), KS_OK);
        CHECK_RC(ks_pcr_read(f.h, 7, pcr), KS_OK);
        CHECK(memcmp(pcr, expected, 20) == 0);
    }
    uint8_t zero[20] = {0};
    CHECK_RC(ks_pcr_read(f.h, 6, pcr), KS_OK);
    CHECK(memcmp(pcr, zero, 20) == 0); /* neighbours untouched */
    ks_close(f.h);
}

static void pcr_index_out_of_range_is_refused(void)
{
    fixture_t f;
    fixture_open(&f, KS_BACKEND_EMULATED);
    uint8_t buf[20] = {0};
    CHECK_RC(ks_pcr_extend(f.h, KS_PCR_COUNT - 1, buf), KS_OK);
    CHECK_RC(ks_pcr_extend(f.h, KS_PCR_COUNT, buf), KS_ERR_PCR_INDEX);
    CHECK_RC(ks_pcr_read(f.h, KS_PCR_COUNT, buf), KS_ERR_PCR_INDEX);
    CHECK_RC(ks_pcr_read(f.h, UINT32_MAX, buf), KS_ERR_PCR_INDEX);
    ks_close(f.h);
}

static void no_hypercall_without_opt_in(void)
{
    char dir[PATH_MAX], key[PATH_MAX], device[PATH_MAX];
    ks_test_tmpdir(dir);
    ks_test_join(key, dir, "key");
    ks_test_join(device, dir, "uhcallkmod");
    int fd = open(device, O_WRONLY | O_CREAT, 0600);
    close(fd);

    ks_options_t o = ks_test_options(key, device, 0);
    ks_handle_t *h = NULL;
    CHECK_RC(ks_open(KS_BACKEND_UXMHF, &o, &h), KS_ERR_NOT_OPTED_IN);
    CHECK(h == NULL);
    CHECK_RC(ks_open(KS_BACKEND_AUTO, &o, &h), KS_OK);
    CHECK_RC(ks_backend(h), KS_BACKEND_EMULATED);
    CHECK_RC(ks_probe_status(h), KS_ERR_NOT_OPTED_IN);
    ks_close(h);
    CHECK(file_size(device) == 0); /* nothing was ever written to the "device" */
}

static void bad_open_arguments_are_refused(void)
{
    char dir[PATH_MAX], key[PATH_MAX];
    ks_test_tmpdir(dir);
    ks_test_join(key, dir, "key");
    ks_options_t o = ks_test_options(key, NULL, 0);
    ks_handle_t *h = (ks_handle_t *)&o; /* must be reset to NULL on failure */
    CHECK_RC(ks_open(3, &o, &h), KS_ERR_INVALID_ARGUMENT);
    CHECK(h == NULL);
    CHECK_RC(ks_open(-1, &o, &h), KS_ERR_INVALID_ARGUMENT);
    o.size = 8;
    CHECK_RC(ks_open(KS_BACKEND_EMULATED, &o, &h), KS_ERR_INVALID_ARGUMENT);
    CHECK_RC(ks_open(KS_BACKEND_EMULATED, NULL, NULL), KS_ERR_INVALID_ARGUMENT);
}

static void unsafe_key_file_fails_open(void)
{
    fixture_t f;
    fixture_open(&f, KS_BACKEND_EMULATED);
    ks_close(f.h);
    CHECK(chmod(f.key_path, 0644) == 0);
    ks_options_t o = ks_test_options(f.key_path, NULL, 0);
    ks_handle_t *h = NULL;
    CHECK_RC(ks_open(KS_BACKEND_AUTO, &o, &h), KS_ERR_KEY_PERMISSIONS);
    CHECK(h == NULL);
}

enum { THREADS = 4, CALLS = 500 };

typedef struct worker {
    ks_handle_t *h;
    const uint8_t *key;
    uint8_t tag;
    int mismatches;
} worker_t;

static void *hmac_worker(void *arg)
{
    worker_t *w = arg;
    for (int i = 0; i < CALLS; i++) {
        uint8_t data[200], expected[32], actual[32];
        memset(data, w->tag, sizeof data);
        size_t len = (size_t)(i % 200);
        ks_hmac_sha256(w->key, KS_KEY_SIZE, data, len, expected);
        if (ks_hmac(w->h, data, len, actual) != KS_OK || memcmp(actual, expected, 32) != 0)
            w->mismatches++;
    }
    return NULL;
}

static void concurrent_calls_on_one_handle_are_serialized(void)
{
    fixture_t f;
    fixture_open(&f, KS_BACKEND_EMULATED);
    uint8_t key[KS_KEY_SIZE];
    read_key(f.key_path, key);
    pthread_t threads[THREADS];
    worker_t workers[THREADS];
    for (int i = 0; i < THREADS; i++) {
        workers[i] = (worker_t){.h = f.h, .key = key, .tag = (uint8_t)(i + 1)};
        CHECK(pthread_create(&threads[i], NULL, hmac_worker, &workers[i]) == 0);
    }
    for (int i = 0; i < THREADS; i++) {
        pthread_join(threads[i], NULL);
        CHECK(workers[i].mismatches == 0);
    }
    ks_close(f.h);
}

static const ks_test_case_t cases[] = {
    {"reports_emulated_and_no_hardware_protection", reports_emulated_and_no_hardware_protection},
    {"hmac_is_hmac_sha256_under_the_key_file_key", hmac_is_hmac_sha256_under_the_key_file_key},
    {"same_key_file_gives_same_macs_across_handles", same_key_file_gives_same_macs_across_handles},
    {"oversize_input_is_refused_and_digest_zeroed", oversize_input_is_refused_and_digest_zeroed},
    {"null_arguments_are_refused", null_arguments_are_refused},
    {"verify_accepts_the_mac_and_rejects_any_flipped_bit", verify_accepts_the_mac_and_rejects_any_flipped_bit},
    {"pcr_extend_is_sha1_of_old_and_new", pcr_extend_is_sha1_of_old_and_new},
    {"pcr_index_out_of_range_is_refused", pcr_index_out_of_range_is_refused},
    {"no_hypercall_without_opt_in", no_hypercall_without_opt_in},
    {"bad_open_arguments_are_refused", bad_open_arguments_are_refused},
    {"unsafe_key_file_fails_open", unsafe_key_file_fails_open},
    {"concurrent_calls_on_one_handle_are_serialized", concurrent_calls_on_one_handle_are_serialized},
};

KS_TEST_MAIN(cases)
