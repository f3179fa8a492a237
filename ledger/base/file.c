/*
 * file.c — writing an output file whole or not at all, and safely: the one
 * place every writer of the library and the command goes through (exports,
 * drafts, statements, the manifest). It refuses to replace the ledger, its
 * lock file or anything that is not a regular file, and writes through a
 * temporary file of unpredictable name created with O_EXCL beside the target.
 */
#include "base/base.h"

#include <errno.h>
#include <fcntl.h>
#include <sodium.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* A path and the temporary name built beside it. */
#define FILE_PATH_MAX 4096
/* Random bytes in a temporary name: 64 bits cannot be guessed or planted. */
#define FILE_TMP_RANDOM_BYTES 8

const char *
pb_errno_text(int errnum)
{
    /* strerror's "Input/output error" or "No space left on device" read
     * oddly in a sentence; the common environment failures get plain words. */
    switch (errnum) {
    case ENOSPC:
        return "no space left on the device";
    case EDQUOT:
        return "disk quota exceeded";
    case EROFS:
        return "the file system is read-only";
    default:
        return strerror(errnum);
    }
}

int
pb_file_check_output(const char *path, const char *const *keep, pb_error *err)
{
    PB_ASSERT(path != NULL);
    struct stat target;
    if (path[0] == '\0') {
        return pb_error_set(err, PB_EUSAGE, path, "the output path is empty");
    }
    if (lstat(path, &target) != 0) {
        if (errno == ENOENT) {
            return PB_OK; /* a new file */
        }
        return pb_error_set(err, PB_EIO, path, "cannot check the output file: %s",
                            pb_errno_text(errno));
    }
    if (!S_ISREG(target.st_mode)) {
        return pb_error_set(err, PB_EUSAGE, path,
                            "the output exists and is not a regular file: it is not replaced");
    }
    /* By identity, not by name: a hard link or another spelling of the
     * ledger's path is still the ledger. */
    for (size_t i = 0; keep != NULL && keep[i] != NULL; i++) {
        struct stat kept;
        if (stat(keep[i], &kept) == 0 && kept.st_dev == target.st_dev &&
            kept.st_ino == target.st_ino) {
            return pb_error_set(err, PB_EUSAGE, path,
                                "the output is the ledger or its lock file (%s): it is not "
                                "replaced",
                                keep[i]);
        }
    }
    return PB_OK;
}

/* tmp = "<folder of path>/.<name of path>.<16 random hex>.tmp". */
static int
tmp_name(const char *path, char *tmp, size_t size, pb_error *err)
{
    uint8_t random[FILE_TMP_RANDOM_BYTES];
    char hex[2 * FILE_TMP_RANDOM_BYTES + 1];
    const char *slash = strrchr(path, '/');
    int folder_len = slash != NULL ? (int)(slash - path + 1) : 0;
    const char *name = slash != NULL ? slash + 1 : path;
    if (name[0] == '\0') {
        return pb_error_set(err, PB_EUSAGE, path, "the output path names a folder, not a file");
    }
    randombytes_buf(random, sizeof(random));
    sodium_bin2hex(hex, sizeof(hex), random, sizeof(random));
    int n = snprintf(tmp, size, "%.*s.%s.%s.tmp", folder_len, path, name, hex);
    if (n < 0 || (size_t)n >= size) {
        return pb_error_set(err, PB_EUSAGE, path, "the output path is too long");
    }
    return PB_OK;
}

/* The mode a new file gets from open(2): 0666 less the umask. umask(2) can
 * only be read by setting it, so it is set back at once. */
static mode_t
new_file_mode(void)
{
    mode_t mask = umask(077);
    umask(mask);
    return (mode_t)(0666 & ~mask);
}

/* Write, flush and sync the open temporary file; closes f. */
static int
fill(FILE *f, const char *tmp, pb_file_writer write, void *ctx, pb_error *err)
{
    int rc = PB_OK;
    errno = 0;
    if (write(f, tmp, ctx) != 0) {
        int errnum = errno != 0 ? errno : EIO;
        rc = pb_error_set(err, PB_EIO, NULL, "could not write the file: %s", pb_errno_text(errnum));
    } else if (fflush(f) != 0 || fsync(fileno(f)) != 0) {
        rc = pb_error_set(err, PB_EIO, NULL, "could not write the file: %s", pb_errno_text(errno));
    }
    if (fclose(f) != 0 && rc == PB_OK) {
        rc = pb_error_set(err, PB_EIO, NULL, "could not write the file: %s", pb_errno_text(errno));
    }
    return rc;
}

int
pb_file_write(const char *path, const char *const *keep, pb_file_writer write, void *ctx,
              pb_error *err)
{
    PB_ASSERT(path != NULL && write != NULL);
    char tmp[FILE_PATH_MAX];
    struct stat made, now;
    int rc = pb_sodium_ready(err);
    if (rc != PB_OK) {
        return rc;
    }
    rc = pb_file_check_output(path, keep, err);
    if (rc == PB_OK) {
        rc = tmp_name(path, tmp, sizeof(tmp), err);
    }
    if (rc != PB_OK) {
        return rc;
    }
    int fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY, 0600);
    if (fd < 0) {
        return pb_error_set(err, PB_EIO, path, "cannot create the file: %s", pb_errno_text(errno));
    }
    FILE *f = NULL;
    if (fchmod(fd, new_file_mode()) != 0 || fstat(fd, &made) != 0) {
        rc = pb_error_set(err, PB_EIO, path, "cannot set up the file: %s", pb_errno_text(errno));
        close(fd);
    } else if ((f = fdopen(fd, "wb")) == NULL) {
        rc = pb_error_set(err, PB_ENOMEM, path, "out of memory");
        close(fd);
    } else {
        rc = fill(f, tmp, write, ctx, err);
    }
    /* A writer that reopens the temporary file by name (xlsx) must have
     * written the file created here, not one planted in its place. */
    if (rc == PB_OK &&
        (lstat(tmp, &now) != 0 || now.st_dev != made.st_dev || now.st_ino != made.st_ino)) {
        rc = pb_error_set(err, PB_EIO, path, "the temporary file was replaced while writing");
    }
    /* Checked again just before the rename: the target may have changed. */
    if (rc == PB_OK) {
        rc = pb_file_check_output(path, keep, err);
    }
    if (rc == PB_OK && rename(tmp, path) != 0) {
        rc = pb_error_set(err, PB_EIO, path, "could not write the file: %s", pb_errno_text(errno));
    }
    if (rc != PB_OK) {
        unlink(tmp);
        if (err != NULL && err->where[0] == '\0') {
            snprintf(err->where, sizeof(err->where), "%s", path);
        }
    }
    return rc;
}

struct file_bytes {
    const void *bytes;
    size_t len;
};

static int
write_bytes(FILE *f, const char *tmp_path, void *ctx)
{
    (void)tmp_path;
    const struct file_bytes *b = ctx;
    return b->len == 0 || fwrite(b->bytes, 1, b->len, f) == b->len ? 0 : -1;
}

int
pb_file_write_bytes(const char *path, const char *const *keep, const void *bytes, size_t len,
                    pb_error *err)
{
    PB_ASSERT(bytes != NULL || len == 0);
    struct file_bytes b = {bytes, len};
    return pb_file_write(path, keep, write_bytes, &b, err);
}
