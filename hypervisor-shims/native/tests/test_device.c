/*
 * The uxmhf probe against stand-ins for /dev/uhcallkmod that do nothing: a missing node, a regular
 * file, /dev/null, a directory and FIFOs. None may be trusted; AUTO must fall back and say why.
 */
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ks_abi.h"
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

/* Checks that `fd` holds exactly one well-formed uhcalltest request, as the kernel would read it. */
static void expect_one_echo_request(int fd)
{
    ks_uhcall_request_t req;
    CHECK(read(fd, &req, sizeof req) == (ssize_t)sizeof req);
    CHECK(req.function == KS_UH_FN_UHCALLTEST);
    CHECK(req.len == sizeof(ks_uhcalltest_param_t));
    CHECK(req.buffer != NULL && (uintptr_t)req.buffer % KS_UH_PAGE_SIZE == 0);
    uint8_t extra;
    CHECK(read(fd, &extra, 1) <= 0); /* nothing else: no second call after a failed self-test */
}

static void absent_node_falls_back(void)
{
    probe_t p;
    probe_init(&p, "no-such-node");
    expect_auto_fallback(p.device, p.key, KS_ERR_DEVICE_ABSENT);
    expect_explicit_uxmhf_refused(p.device, p.key, KS_ERR_DEVICE_ABSENT);
}

static void regular_file_is_detected_by_the_sentinel(void)
{
    probe_t p;
    probe_init(&p, "uhcallkmod");
    close(open(p.device, O_WRONLY | O_CREAT, 0600));
    expect_auto_fallback(p.device, p.key, KS_ERR_NO_RESULT);

    int fd = open(p.device, O_RDONLY);
    CHECK(fd >= 0);
    expect_one_echo_request(fd);
    close(fd);
    expect_explicit_uxmhf_refused(p.device, p.key, KS_ERR_NO_RESULT);
}

static void dev_null_is_detected_by_the_sentinel(void)
{
    probe_t p;
    probe_init(&p, "unused");
    /* A real character device that accepts every write and does nothing. */
    expect_auto_fallback("/dev/null", p.key, KS_ERR_NO_RESULT);
    expect_explicit_uxmhf_refused("/dev/null", p.key, KS_ERR_NO_RESULT);
}

static void directory_cannot_be_opened(void)
{
    probe_t p;
    probe_init(&p, "unused");
    expect_auto_fallback(p.dir, p.key, KS_ERR_DEVICE_OPEN);
}

static void fifo_without_reader_does_not_hang(void)
{
    probe_t p;
    probe_init(&p, "fifo");
    CHECK(mkfifo(p.device, 0600) == 0);
    expect_auto_fallback(p.device, p.key, KS_ERR_DEVICE_OPEN);
}

static void fifo_with_reader_is_detected_by_the_sentinel(void)
{
    probe_t p;
    probe_init(&p, "fifo");
    CHECK(mkfifo(p.device, 0600) == 0);
    int reader = open(p.device, O_RDONLY | O_NONBLOCK);
    CHECK(reader >= 0);
    expect_auto_fallback(p.device, p.key, KS_ERR_NO_RESULT);
    expect_one_echo_request(reader);
    close(reader);
}

static const ks_test_case_t cases[] = {
    {"absent_node_falls_back", absent_node_falls_back},
    {"regular_file_is_detected_by_the_sentinel", regular_file_is_detected_by_the_sentinel},
    {"dev_null_is_detected_by_the_sentinel", dev_null_is_detected_by_the_sentinel},
    {"directory_cannot_be_opened", directory_cannot_be_opened},
    {"fifo_without_reader_does_not_hang", fifo_without_reader_does_not_hang},
    {"fifo_with_reader_is_detected_by_the_sentinel", fifo_with_reader_is_detected_by_the_sentinel},
};

KS_TEST_MAIN(cases)
