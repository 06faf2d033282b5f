/*
 * The uxmhf backend: one write() of a ks_uhcall_request_t to /dev/uhcallkmod per call. The module
 * issues HVC #1 and returns 0 whatever happened, so write()'s result only tells us the request
 * was delivered; the core judges the outcome from the buffer (sentinels, echo comparison).
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ks_abi.h"
#include "ks_transport.h"

/* uberXMHF serializes calls system-wide; serializing in-process too keeps handles from racing. */
static pthread_mutex_t device_lock = PTHREAD_MUTEX_INITIALIZER;

typedef struct uxmhf_ctx {
    int fd;
} uxmhf_ctx_t;

static int write_request(int fd, const ks_uhcall_request_t *req)
{
    ssize_t n;
    do {
        n = write(fd, req, sizeof *req);
    } while (n < 0 && errno == EINTR);
    return n < 0 ? KS_ERR_DEVICE_IO : KS_OK;
}

static int uxmhf_issue(void *ctx, unsigned long function, void *buffer, unsigned long len)
{
    /* Last gate before the kernel: an id or buffer the hypervisor rejects halts the machine. */
    int rc = ks_uh_check_call(function, buffer, len);
    if (rc != KS_OK)
        return rc;

    const ks_uhcall_request_t req = {.function = function, .buffer = buffer, .len = len};
    const uxmhf_ctx_t *dev = ctx;
    if (pthread_mutex_lock(&device_lock) != 0)
        return KS_ERR_INTERNAL;
    rc = write_request(dev->fd, &req);
    pthread_mutex_unlock(&device_lock);
    return rc;
}

static void uxmhf_release(void *ctx)
{
    uxmhf_ctx_t *dev = ctx;
    if (dev == NULL)
        return;
    close(dev->fd);
    free(dev);
}

int ks_uxmhf_transport_open(const char *device_path, ks_transport_t *out)
{
    struct stat st;
    if (stat(device_path, &st) != 0)
        return errno == ENOENT ? KS_ERR_DEVICE_ABSENT : KS_ERR_DEVICE_OPEN;

    /* O_NONBLOCK: a FIFO or wedged node at the path must fail the probe, not hang start-up. */
    int fd = open(device_path, O_WRONLY | O_NONBLOCK | O_CLOEXEC);
    if (fd < 0)
        return KS_ERR_DEVICE_OPEN;

    uxmhf_ctx_t *dev = malloc(sizeof *dev);
    if (dev == NULL) {
        close(fd);
        return KS_ERR_NO_MEMORY;
    }
    dev->fd = fd;
    *out = (ks_transport_t){
        .issue = uxmhf_issue,
        .release = uxmhf_release,
        .ctx = dev,
        .capabilities = KS_CAP_HW_HMAC_KEY,
    };
    return KS_OK;
}
