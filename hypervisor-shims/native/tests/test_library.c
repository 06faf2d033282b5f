/* The shipped libkalkishim.so itself: exports exactly the public API and works when dlopen()ed. */
#include <dlfcn.h>
#include <string.h>

#include "ks_test.h"

static void *open_library(void)
{
    void *lib = dlopen(KS_SHIM_LIBRARY, RTLD_NOW | RTLD_LOCAL);
    if (lib == NULL)
        fprintf(stderr, "  dlopen(%s): %s\n", KS_SHIM_LIBRARY, dlerror());
    return lib;
}

static void exports_the_public_api(void)
{
    static const char *const public_api[] = {
        "ks_open", "ks_close", "ks_backend", "ks_probe_status", "ks_capabilities", "ks_selftest", "ks_hmac",
        "ks_hmac_verify", "ks_pcr_extend", "ks_pcr_read", "ks_strerror", "ks_backend_name"};
    void *lib = open_library();
    CHECK(lib != NULL);
    for (size_t i = 0; lib != NULL && i < sizeof public_api / sizeof public_api[0]; i++) {
        if (dlsym(lib, public_api[i]) == NULL)
            fprintf(stderr, "  missing export %s\n", public_api[i]);
        CHECK(dlsym(lib, public_api[i]) != NULL);
    }
    if (lib != NULL)
        dlclose(lib);
}

static void hides_internals(void)
{
    static const char *const internals[] = {"ks_open_with_transport", "ks_sha256", "ks_hmac_sha256",
                                            "ks_keyfile_load_or_create", "ks_uh_check_call"};
    void *lib = open_library();
    CHECK(lib != NULL);
    for (size_t i = 0; lib != NULL && i < sizeof internals / sizeof internals[0]; i++)
        CHECK(dlsym(lib, internals[i]) == NULL);
    if (lib != NULL)
        dlclose(lib);
}

/* ISO C has no object-to-function pointer cast; POSIX guarantees this representation copy works. */
#define LOAD_SYMBOL(lib, name, fn)               \
    do {                                         \
        void *sym_ = dlsym(lib, name);           \
        CHECK(sym_ != NULL);                     \
        memcpy(&(fn), &sym_, sizeof(fn));        \
    } while (0)

typedef int (*open_fn)(int, const ks_options_t *, ks_handle_t **);
typedef int (*hmac_fn)(ks_handle_t *, const uint8_t *, size_t, uint8_t *);
typedef int (*int_query_fn)(const ks_handle_t *);
typedef void (*close_fn)(ks_handle_t *);

static void loaded_library_serves_the_emulated_backend(void)
{
    void *lib = open_library();
    CHECK(lib != NULL);
    if (lib == NULL)
        return;
    open_fn open_shim;
    hmac_fn hmac;
    int_query_fn backend;
    close_fn close_shim;
    LOAD_SYMBOL(lib, "ks_open", open_shim);
    LOAD_SYMBOL(lib, "ks_hmac", hmac);
    LOAD_SYMBOL(lib, "ks_backend", backend);
    LOAD_SYMBOL(lib, "ks_close", close_shim);

    char dir[PATH_MAX], key[PATH_MAX];
    ks_test_tmpdir(dir);
    ks_test_join(key, dir, "key");
    ks_options_t o = ks_test_options(key, NULL, 0);
    ks_handle_t *h = NULL;
    CHECK_RC(open_shim(KS_BACKEND_AUTO, &o, &h), KS_OK);
    CHECK_RC(backend(h), KS_BACKEND_EMULATED);
    uint8_t mac[32];
    CHECK_RC(hmac(h, (const uint8_t *)"abc", 3, mac), KS_OK);
    close_shim(h);
    dlclose(lib);
}

static const ks_test_case_t cases[] = {
    {"exports_the_public_api", exports_the_public_api},
    {"hides_internals", hides_internals},
    {"loaded_library_serves_the_emulated_backend", loaded_library_serves_the_emulated_backend},
};

KS_TEST_MAIN(cases)
