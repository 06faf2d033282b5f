#include "ks_keyfile.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ks_crypto.h"
#include "ks_random.h"

/* Internal outcomes that are not public status codes. */
enum { KEY_ABSENT = 1, KEY_RACE_LOST = 2 };

/* Room for the ".XXXXXX" suffix of the temporary file next to the key. */
#define TMP_SUFFIX ".XXXXXX"

static int check_key_stat(const struct stat *st)
{
    if (!S_ISREG(st->st_mode))
        return KS_ERR_KEY_PERMISSIONS;
    if (st->st_uid != geteuid() || (st->st_mode & (S_IRWXG | S_IRWXO)) != 0)
        return KS_ERR_KEY_PERMISSIONS;
    if (st->st_size != KS_KEY_SIZE)
        return KS_ERR_KEY_FORMAT;
    return KS_OK;
}

static int read_exact(int fd, uint8_t *buf, size_t len)
{
    while (len > 0) {
        ssize_t n = read(fd, buf, len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return KS_ERR_KEY_FILE;
        if (n == 0)
            return KS_ERR_KEY_FORMAT; /* shrank after fstat */
        buf += n;
        len -= (size_t)n;
    }
    return KS_OK;
}

static int write_all(int fd, const uint8_t *buf, size_t len)
{
    while (len > 0) {
        ssize_t n = write(fd, buf, len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return KS_ERR_KEY_FILE;
        buf += n;
        len -= (size_t)n;
    }
    return KS_OK;
}

static int load_key(const char *path, uint8_t key[KS_KEY_SIZE])
{
    /* O_NOFOLLOW: a symlink planted at the key path must not redirect us to another file. */
    int fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0) {
        if (errno == ENOENT)
            return KEY_ABSENT;
        return errno == ELOOP ? KS_ERR_KEY_PERMISSIONS : KS_ERR_KEY_FILE;
    }
    struct stat st;
    int rc = fstat(fd, &st) == 0 ? check_key_stat(&st) : KS_ERR_KEY_FILE;
    if (rc == KS_OK)
        rc = read_exact(fd, key, KS_KEY_SIZE);
    close(fd);
    if (rc != KS_OK)
        ks_wipe(key, KS_KEY_SIZE);
    return rc;
}

/* dirname() may modify its argument, so it works on a copy. */
static int parent_dir(const char *path, char out[PATH_MAX])
{
    char copy[PATH_MAX];
    if (snprintf(copy, sizeof copy, "%s", path) >= (int)sizeof copy)
        return KS_ERR_INVALID_ARGUMENT;
    snprintf(out, PATH_MAX, "%s", dirname(copy));
    return KS_OK;
}

/* Creates the key's directory (one level, 0700) so a fresh state directory works on first start. */
static int ensure_parent_dir(const char *path)
{
    char dir[PATH_MAX];
    int rc = parent_dir(path, dir);
    if (rc != KS_OK)
        return rc;
    if (mkdir(dir, 0700) != 0 && errno != EEXIST)
        return KS_ERR_KEY_FILE;
    return KS_OK;
}

/* The appliance loses power without warning: make the new directory entry durable. */
static int sync_parent_dir(const char *path)
{
    char dir[PATH_MAX];
    int rc = parent_dir(path, dir);
    if (rc != KS_OK)
        return rc;
    int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0)
        return KS_ERR_KEY_FILE;
    rc = fsync(fd) == 0 ? KS_OK : KS_ERR_KEY_FILE;
    close(fd);
    return rc;
}

static int write_temp_key(char *tmp_path, const uint8_t key[KS_KEY_SIZE], bool *created)
{
    int fd = mkostemp(tmp_path, O_CLOEXEC); /* created 0600, owned by us */
    *created = fd >= 0;
    if (fd < 0)
        return KS_ERR_KEY_FILE;
    int rc = write_all(fd, key, KS_KEY_SIZE);
    /* Explicit mode: the key's safety must not depend on the libc's mkostemp default. */
    if (rc == KS_OK && fchmod(fd, S_IRUSR | S_IWUSR) != 0)
        rc = KS_ERR_KEY_FILE;
    if (rc == KS_OK && fsync(fd) != 0)
        rc = KS_ERR_KEY_FILE;
    if (close(fd) != 0 && rc == KS_OK)
        rc = KS_ERR_KEY_FILE;
    return rc;
}

/*
 * Writes a fresh key to a temporary file, then link()s it into place: link fails if the name
 * exists, so two processes starting at once end up sharing whichever key landed first.
 */
static int create_key(const char *path, uint8_t key[KS_KEY_SIZE])
{
    char tmp_path[PATH_MAX];
    if (snprintf(tmp_path, sizeof tmp_path, "%s" TMP_SUFFIX, path) >= (int)sizeof tmp_path)
        return KS_ERR_INVALID_ARGUMENT;

    bool created = false;
    int rc = ks_random_fill(key, KS_KEY_SIZE);
    if (rc == KS_OK)
        rc = write_temp_key(tmp_path, key, &created);
    if (rc == KS_OK && link(tmp_path, path) != 0)
        rc = errno == EEXIST ? KEY_RACE_LOST : KS_ERR_KEY_FILE;
    if (created)
        unlink(tmp_path); /* the key now lives under `path` (or nowhere, on error) */
    if (rc == KS_OK)
        rc = sync_parent_dir(path);
    if (rc == KEY_RACE_LOST) {
        rc = load_key(path, key);
        if (rc == KEY_ABSENT) /* removed again between link() and open() */
            rc = KS_ERR_KEY_FILE;
    }
    if (rc != KS_OK)
        ks_wipe(key, KS_KEY_SIZE);
    return rc;
}

int ks_keyfile_load_or_create(const char *path, uint8_t key[KS_KEY_SIZE])
{
    if (path == NULL || path[0] == '\0' || key == NULL)
        return KS_ERR_INVALID_ARGUMENT;
    if (strlen(path) + sizeof TMP_SUFFIX > PATH_MAX)
        return KS_ERR_INVALID_ARGUMENT;

    int rc = load_key(path, key);
    if (rc != KEY_ABSENT)
        return rc;
    rc = ensure_parent_dir(path);
    return rc == KS_OK ? create_key(path, key) : rc;
}
