/*
 * The uxmhf backend: one write() of a ks_uhcall_request_t to /dev/uhcallkmod per call. The module
 * issues HVC #1 and returns 0 whatever happened, so write()'s result only tells us the request
 * was delivered; the core judges the outcome from the buffer (sentinels, echo comparison).
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
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

/* The name uhcallkmod registers its character device under (register_chrdev), listed in /proc/devices. */
#define UHCALL_DRIVER_NAME "uhcallkmod"

static const char *devices_table = "/proc/devices";

void ks_uxmhf_set_devices_table(const char *path)
{
    devices_table = path != NULL ? path : "/proc/devices";
}

/* The character-device major number the uhcallkmod driver holds, or -1 when it is not loaded. */
static long uhcall_major(void)
{
    FILE *f = fopen(devices_table, "re");
    if (f == NULL)
        return -1;
    char line[128];
    int character = 0;
    long found = -1;
    while (found < 0 && fgets(line, sizeof line, f) != NULL) {
        long number;
        char name[64];
        if (strncmp(line, "Character devices:", 18) == 0)
            character = 1;
        else if (strncmp(line, "Block devices:", 14) == 0)
            character = 0;
        else if (character && sscanf(line, "%ld %63s", &number, name) == 2 && strcmp(name, UHCALL_DRIVER_NAME) == 0)
            found = number;
    }
    fclose(f);
    return found;
}

/*
 * Every call writes a request holding a live process address: it may only ever reach the uhcallkmod driver.
 * A regular file, FIFO, socket or any other character device at the configured path is refused before a
 * byte is written (and re-checked on the opened descriptor, so a swap after the check is caught too).
 */
static int is_uhcall_device(const struct stat *st)
{
    long driver_major = uhcall_major();
    return S_ISCHR(st->st_mode) && driver_major >= 0 && (long)major(st->st_rdev) == driver_major;
}

int ks_uxmhf_transport_open(const char *device_path, ks_transport_t *out)
{
    struct stat st;
    if (stat(device_path, &st) != 0)
        return errno == ENOENT ? KS_ERR_DEVICE_ABSENT : KS_ERR_DEVICE_OPEN;
    if (!is_uhcall_device(&st))
        return KS_ERR_NOT_UHCALL_DEVICE;

    /* O_NONBLOCK: a wedged node at the path must fail the probe, not hang start-up. */
    int fd = open(device_path, O_WRONLY | O_NONBLOCK | O_CLOEXEC);
    if (fd < 0)
        return KS_ERR_DEVICE_OPEN;

    struct stat opened;
    if (fstat(fd, &opened) != 0 || opened.st_rdev != st.st_rdev || !is_uhcall_device(&opened)) {
        close(fd);
        return KS_ERR_NOT_UHCALL_DEVICE;
    }

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
