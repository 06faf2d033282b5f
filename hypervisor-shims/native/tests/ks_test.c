#include "ks_test.h"

#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int ks_test_failures;

enum { MAX_TMPDIRS = 64 };
static char tmpdirs[MAX_TMPDIRS][PATH_MAX];
static int tmpdir_count;

static int remove_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st;
    (void)flag;
    (void)ftw;
    return remove(path);
}

static void remove_tmpdirs(void)
{
    for (int i = 0; i < tmpdir_count; i++)
        nftw(tmpdirs[i], remove_entry, 16, FTW_DEPTH | FTW_PHYS);
}

void ks_test_tmpdir(char out[PATH_MAX])
{
    const char *base = getenv("TMPDIR");
    snprintf(out, PATH_MAX, "%s/kalkishim-test-XXXXXX", base != NULL ? base : "/tmp");
    if (mkdtemp(out) == NULL || tmpdir_count == MAX_TMPDIRS) {
        perror("mkdtemp");
        exit(2);
    }
    if (tmpdir_count == 0)
        atexit(remove_tmpdirs);
    snprintf(tmpdirs[tmpdir_count++], PATH_MAX, "%s", out);
}

void ks_test_join(char out[PATH_MAX], const char *dir, const char *name)
{
    if (snprintf(out, PATH_MAX, "%s/%s", dir, name) >= PATH_MAX) {
        fprintf(stderr, "test path too long\n");
        exit(2);
    }
}

static int hex_digit(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    fprintf(stderr, "bad hex digit '%c' in test vector\n", c);
    exit(2);
}

void ks_test_hex(const char *hex, uint8_t *out, size_t len)
{
    if (strlen(hex) != 2 * len) {
        fprintf(stderr, "test vector has %zu hex digits, expected %zu\n", strlen(hex), 2 * len);
        exit(2);
    }
    for (size_t i = 0; i < len; i++)
        out[i] = (uint8_t)(hex_digit(hex[2 * i]) << 4 | hex_digit(hex[2 * i + 1]));
}

ks_options_t ks_test_options(const char *key_path, const char *device_path, int allow_hypercalls)
{
    return (ks_options_t){
        .size = sizeof(ks_options_t),
        .allow_hypercalls = allow_hypercalls ? 1u : 0u,
        .key_path = key_path,
        .device_path = device_path,
    };
}

static int run_case(const ks_test_case_t *c)
{
    int before = ks_test_failures;
    c->run();
    int failed = ks_test_failures != before;
    printf("[%s] %s\n", failed ? "FAIL" : " OK ", c->name);
    return failed;
}

int ks_test_run(const ks_test_case_t *cases, size_t count, int argc, char **argv)
{
    size_t run = 0, failed = 0;
    for (size_t i = 0; i < count; i++) {
        if (argc > 1 && strcmp(argv[1], cases[i].name) != 0)
            continue;
        run++;
        failed += (size_t)run_case(&cases[i]);
    }
    printf("%zu cases, %zu failed\n", run, failed);
    if (run == 0) {
        fprintf(stderr, "no test case named '%s'\n", argc > 1 ? argv[1] : "");
        return 1;
    }
    return failed == 0 ? 0 : 1;
}
