/* The emulated backend's key file: created once from the CSPRNG, root-only, refused when unsafe. */
#include <dirent.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ks_keyfile.h"
#include "ks_test.h"

static const uint8_t zero_key[KS_KEY_SIZE];

static void write_file(const char *path, const void *data, size_t len, mode_t mode)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, mode);
    CHECK(fd >= 0);
    CHECK(write(fd, data, len) == (ssize_t)len);
    CHECK(fchmod(fd, mode) == 0);
    close(fd);
}

static void fresh_key_path(char path[PATH_MAX])
{
    char dir[PATH_MAX];
    ks_test_tmpdir(dir);
    ks_test_join(path, dir, "key");
}

static void creates_root_only_key_and_its_directory(void)
{
    char dir[PATH_MAX], sub[PATH_MAX], path[PATH_MAX];
    ks_test_tmpdir(dir);
    ks_test_join(sub, dir, "state");
    ks_test_join(path, sub, "hypervisor.key");

    uint8_t key[KS_KEY_SIZE];
    CHECK_RC(ks_keyfile_load_or_create(path, key), KS_OK);
    CHECK(memcmp(key, zero_key, sizeof key) != 0);

    struct stat st;
    CHECK(lstat(path, &st) == 0);
    CHECK(S_ISREG(st.st_mode));
    CHECK((st.st_mode & 07777) == 0600);
    CHECK(st.st_uid == geteuid());
    CHECK(st.st_size == KS_KEY_SIZE);
    CHECK(stat(sub, &st) == 0 && (st.st_mode & 07777) == 0700);
}

static void leaves_no_temporary_files(void)
{
    char dir[PATH_MAX], path[PATH_MAX];
    ks_test_tmpdir(dir);
    ks_test_join(path, dir, "key");
    uint8_t key[KS_KEY_SIZE];
    CHECK_RC(ks_keyfile_load_or_create(path, key), KS_OK);

    DIR *d = opendir(dir);
    CHECK(d != NULL);
    int entries = 0;
    for (struct dirent *e; d != NULL && (e = readdir(d)) != NULL;) {
        if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0)
            entries++;
    }
    if (d != NULL)
        closedir(d);
    CHECK(entries == 1);
}

static void second_start_reuses_the_key(void)
{
    char path[PATH_MAX];
    fresh_key_path(path);
    uint8_t first[KS_KEY_SIZE], second[KS_KEY_SIZE];
    CHECK_RC(ks_keyfile_load_or_create(path, first), KS_OK);
    CHECK_RC(ks_keyfile_load_or_create(path, second), KS_OK);
    CHECK(memcmp(first, second, sizeof first) == 0);
}

static void distinct_paths_get_distinct_random_keys(void)
{
    char a_path[PATH_MAX], b_path[PATH_MAX];
    fresh_key_path(a_path);
    fresh_key_path(b_path);
    uint8_t a[KS_KEY_SIZE], b[KS_KEY_SIZE];
    CHECK_RC(ks_keyfile_load_or_create(a_path, a), KS_OK);
    CHECK_RC(ks_keyfile_load_or_create(b_path, b), KS_OK);
    CHECK(memcmp(a, b, sizeof a) != 0);
}

static void refuses_group_or_world_access(void)
{
    const mode_t unsafe[] = {0640, 0604, 0660, 0700 | 0004};
    for (size_t i = 0; i < sizeof unsafe / sizeof unsafe[0]; i++) {
        char path[PATH_MAX];
        fresh_key_path(path);
        write_file(path, "0123456789abcdef0123456789abcdef", KS_KEY_SIZE, unsafe[i]);
        uint8_t key[KS_KEY_SIZE];
        memset(key, 0x77, sizeof key);
        CHECK_RC(ks_keyfile_load_or_create(path, key), KS_ERR_KEY_PERMISSIONS);
        CHECK(memcmp(key, zero_key, sizeof key) == 0); /* nothing of the key handed out */
    }
}

static void refuses_wrong_length(void)
{
    const size_t lengths[] = {0, 31, 33, 64};
    uint8_t content[64] = {1};
    for (size_t i = 0; i < sizeof lengths / sizeof lengths[0]; i++) {
        char path[PATH_MAX];
        fresh_key_path(path);
        write_file(path, content, lengths[i], 0600);
        uint8_t key[KS_KEY_SIZE];
        CHECK_RC(ks_keyfile_load_or_create(path, key), KS_ERR_KEY_FORMAT);
    }
}

static void refuses_symlink_and_non_regular_files(void)
{
    char target[PATH_MAX], link_path[PATH_MAX], dir_path[PATH_MAX];
    fresh_key_path(target);
    uint8_t key[KS_KEY_SIZE];
    CHECK_RC(ks_keyfile_load_or_create(target, key), KS_OK);

    fresh_key_path(link_path);
    CHECK(symlink(target, link_path) == 0);
    CHECK_RC(ks_keyfile_load_or_create(link_path, key), KS_ERR_KEY_PERMISSIONS);

    fresh_key_path(dir_path);
    CHECK(mkdir(dir_path, 0700) == 0);
    CHECK_RC(ks_keyfile_load_or_create(dir_path, key), KS_ERR_KEY_PERMISSIONS);
}

static void refuses_key_owned_by_someone_else(void)
{
    if (geteuid() != 0) {
        printf("  (skipped: needs root to chown)\n");
        return;
    }
    char path[PATH_MAX];
    fresh_key_path(path);
    uint8_t key[KS_KEY_SIZE];
    CHECK_RC(ks_keyfile_load_or_create(path, key), KS_OK);
    CHECK(chown(path, 65534, 65534) == 0);
    CHECK_RC(ks_keyfile_load_or_create(path, key), KS_ERR_KEY_PERMISSIONS);
}

static void reports_unusable_paths(void)
{
    char dir[PATH_MAX], deep[PATH_MAX];
    ks_test_tmpdir(dir);
    ks_test_join(deep, dir, "missing/twice/key"); /* only one missing level is created */
    uint8_t key[KS_KEY_SIZE];
    CHECK_RC(ks_keyfile_load_or_create(deep, key), KS_ERR_KEY_FILE);
    CHECK_RC(ks_keyfile_load_or_create("", key), KS_ERR_INVALID_ARGUMENT);
    CHECK_RC(ks_keyfile_load_or_create(NULL, key), KS_ERR_INVALID_ARGUMENT);
}

static const ks_test_case_t cases[] = {
    {"creates_root_only_key_and_its_directory", creates_root_only_key_and_its_directory},
    {"leaves_no_temporary_files", leaves_no_temporary_files},
    {"second_start_reuses_the_key", second_start_reuses_the_key},
    {"distinct_paths_get_distinct_random_keys", distinct_paths_get_distinct_random_keys},
    {"refuses_group_or_world_access", refuses_group_or_world_access},
    {"refuses_wrong_length", refuses_wrong_length},
    {"refuses_symlink_and_non_regular_files", refuses_symlink_and_non_regular_files},
    {"refuses_key_owned_by_someone_else", refuses_key_owned_by_someone_else},
    {"reports_unusable_paths", reports_unusable_paths},
};

KS_TEST_MAIN(cases)
