/* A minimal test runner: each binary is one ctest test made of named cases. */
#ifndef KS_TEST_H
#define KS_TEST_H

#include <limits.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "kalkishim.h"

extern int ks_test_failures;

#define CHECK(cond)                                                                      \
    do {                                                                                 \
        if (!(cond)) {                                                                   \
            fprintf(stderr, "  %s:%d: CHECK failed: %s\n", __FILE__, __LINE__, #cond);  \
            ks_test_failures++;                                                          \
        }                                                                                \
    } while (0)

#define CHECK_RC(expr, expected)                                                         \
    do {                                                                                 \
        int rc_ = (expr);                                                                \
        int exp_ = (expected);                                                           \
        if (rc_ != exp_) {                                                               \
            fprintf(stderr, "  %s:%d: %s = %d (%s), expected %d (%s)\n", __FILE__,       \
                    __LINE__, #expr, rc_, ks_strerror(rc_), exp_, ks_strerror(exp_));    \
            ks_test_failures++;                                                          \
        }                                                                                \
    } while (0)

typedef struct ks_test_case {
    const char *name;
    void (*run)(void);
} ks_test_case_t;

/* Runs every case (or only argv[1]); prints a per-case line and a summary; exit status 0 = pass. */
int ks_test_run(const ks_test_case_t *cases, size_t count, int argc, char **argv);

#define KS_TEST_MAIN(cases)                                                              \
    int main(int argc, char **argv)                                                      \
    {                                                                                    \
        return ks_test_run(cases, sizeof(cases) / sizeof((cases)[0]), argc, argv);       \
    }

/* A fresh private directory, removed with its contents when the process exits. */
void ks_test_tmpdir(char out[PATH_MAX]);
void ks_test_join(char out[PATH_MAX], const char *dir, const char *name);

/* Decodes lowercase/uppercase hex (2*len digits) into out. */
void ks_test_hex(const char *hex, uint8_t *out, size_t len);

/* Options for a test handle: key under dir, device at device_path (may be NULL). */
ks_options_t ks_test_options(const char *key_path, const char *device_path, int allow_hypercalls);

#endif /* KS_TEST_H */
