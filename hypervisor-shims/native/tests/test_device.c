/*
 * The uxmhf probe against stand-ins for /dev/uhcallkmod: a missing node, a regular file, /dev/null, a
 * directory and FIFOs. Only the uhcallkmod driver's character device may receive a request (it holds a
 * live process address); everything else is refused before a byte is written, and AUTO says why.
 */
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ks_abi.h"
#include "ks_transport.h"
#include "ks_test.h"

typedef struct probe {
    char dir[PATH_MAX];
    char key[PATH_MAX];
    char device[PATH_MAX];
} probe_t;

static void probe_init(probe_t *p, const char *device_name)
{
    ks_test_tmpdir(p->dir);
    ks_test_join(p->key, p->dir, "key");
    ks_test_join(p->device, p->dir, device_name);
}

/* AUTO with hypercalls allowed must land on emulated, reporting `why` as the probe status. */
static void expect_auto_fallback(const char *device, const char *key, int why)
{
    ks_options_t o = ks_test_options(key, device, 1);
    ks_handle_t *h = NULL;
    CHECK_RC(ks_open(KS_BACKEND_AUTO, &o, &h), KS_OK);
    CHECK_RC(ks_backend(h), KS_BACKEND_EMULATED);
    CHECK_RC(ks_probe_status(h), why);
    CHECK(ks_capabilities(h) == 0);
    uint8_t mac[32];
    CHECK_RC(ks_hmac(h, (const uint8_t *)"still works", 11, mac), KS_OK);
    ks_close(h);
}

static void expect_explicit_uxmhf_refused(const char *device, const char *key, int why)
{
    ks_options_t o = ks_test_options(key, device, 1);
    ks_handle_t *h = NULL;
    CHECK_RC(ks_open(KS_BACKEND_UXMHF, &o, &h), why);
    CHECK(h == NULL);
}

static void absent_node_falls_back(void)
{
    probe_t p;
    probe_init(&p, "no-such-node");
    expect_auto_fallback(p.device, p.key, KS_ERR_DEVICE_ABSENT);
    expect_explicit_uxmhf_refused(p.device, p.key, KS_ERR_DEVICE_ABSENT);
}

/* Writes a devices table (as /proc/devices) listing uhcallkmod with `major` and points the shim at it. */
static void fake_devices_table(const probe_t *p, int major)
{
    char table[PATH_MAX];
    ks_test_join(table, p->dir, "devices");
    FILE *f = fopen(table, "w");
    CHECK(f != NULL);
    fprintf(f, "Character devices:\n  1 mem\n%3d uhcallkmod\n\nBlock devices:\n  1 uhcallkmod\n", major);
    fclose(f);
    ks_uxmhf_set_devices_table(table);
}

static long file_size(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 ? (long)st.st_size : -1;
}

static void regular_file_is_refused_before_a_byte_is_written(void)
{
    probe_t p;
    probe_init(&p, "uhcallkmod");
    close(open(p.device, O_WRONLY | O_CREAT, 0600));
    expect_auto_fallback(p.device, p.key, KS_ERR_NOT_UHCALL_DEVICE);
    expect_explicit_uxmhf_refused(p.device, p.key, KS_ERR_NOT_UHCALL_DEVICE);
    fake_devices_table(&p, 1); /* even with the driver "loaded": a file is not its device */
    expect_explicit_uxmhf_refused(p.device, p.key, KS_ERR_NOT_UHCALL_DEVICE);
    ks_uxmhf_set_devices_table(NULL);
    CHECK(file_size(p.device) == 0);
}

static void other_character_devices_are_refused(void)
{
    probe_t p;
    probe_init(&p, "unused");
    /* /dev/null is a character device, but of the "mem" driver. */
    expect_auto_fallback("/dev/null", p.key, KS_ERR_NOT_UHCALL_DEVICE);
    expect_explicit_uxmhf_refused("/dev/null", p.key, KS_ERR_NOT_UHCALL_DEVICE);
    fake_devices_table(&p, 250); /* the driver is loaded, at another major */
    expect_explicit_uxmhf_refused("/dev/null", p.key, KS_ERR_NOT_UHCALL_DEVICE);
    ks_uxmhf_set_devices_table(NULL);
}

static void the_drivers_device_is_accepted_and_still_self_tested(void)
{
    probe_t p;
    probe_init(&p, "unused");
    /* Pretend /dev/null's driver (major 1) is uhcallkmod: the node passes the identity check, and the
     * echo self-test still catches that nothing answers. */
    fake_devices_table(&p, 1);
    expect_auto_fallback("/dev/null", p.key, KS_ERR_NO_RESULT);
    expect_explicit_uxmhf_refused("/dev/null", p.key, KS_ERR_NO_RESULT);
    ks_uxmhf_set_devices_table(NULL);
}

static void directory_is_refused(void)
{
    probe_t p;
    probe_init(&p, "unused");
    expect_auto_fallback(p.dir, p.key, KS_ERR_NOT_UHCALL_DEVICE);
}

static void fifo_without_reader_does_not_hang(void)
{
    probe_t p;
    probe_init(&p, "fifo");
    CHECK(mkfifo(p.device, 0600) == 0);
    expect_auto_fallback(p.device, p.key, KS_ERR_NOT_UHCALL_DEVICE);
}

static void fifo_with_reader_receives_nothing(void)
{
    probe_t p;
    probe_init(&p, "fifo");
    CHECK(mkfifo(p.device, 0600) == 0);
    int reader = open(p.device, O_RDONLY | O_NONBLOCK);
    CHECK(reader >= 0);
    expect_auto_fallback(p.device, p.key, KS_ERR_NOT_UHCALL_DEVICE);
    uint8_t byte;
    CHECK(read(reader, &byte, 1) <= 0);
    close(reader);
}

static const ks_test_case_t cases[] = {
    {"absent_node_falls_back", absent_node_falls_back},
    {"regular_file_is_refused_before_a_byte_is_written", regular_file_is_refused_before_a_byte_is_written},
    {"other_character_devices_are_refused", other_character_devices_are_refused},
    {"the_drivers_device_is_accepted_and_still_self_tested", the_drivers_device_is_accepted_and_still_self_tested},
    {"directory_is_refused", directory_is_refused},
    {"fifo_without_reader_does_not_hang", fifo_without_reader_does_not_hang},
    {"fifo_with_reader_receives_nothing", fifo_with_reader_receives_nothing},
};

KS_TEST_MAIN(cases)
