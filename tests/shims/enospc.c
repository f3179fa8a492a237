/*
 * enospc.c — an LD_PRELOAD shim for tests/cli/faults.sh where a tmpfs cannot
 * be mounted (not root): a full disk without a disk. After PB_ENOSPC_BYTES
 * bytes written to regular files by this process, write, pwrite, writev,
 * pwritev, fsync, fdatasync and posix_fallocate on regular files fail with
 * ENOSPC, as a full file system makes them fail (a short write first, then
 * ENOSPC). Other descriptors (stderr, pipes) are untouched, so the error
 * line still reaches the test.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/uio.h>
#include <unistd.h>

static unsigned long long written;

/* The byte budget, or ULLONG_MAX when PB_ENOSPC_BYTES is not set. */
static unsigned long long
budget(void)
{
    const char *text = getenv("PB_ENOSPC_BYTES");
    return text != NULL ? strtoull(text, NULL, 10) : ~0ULL;
}

static int
regular(int fd)
{
    struct stat st;
    return fstat(fd, &st) == 0 && S_ISREG(st.st_mode);
}

/* How many of want bytes may still be written to fd: all of them to a
 * descriptor that is not a regular file; -1 (errno ENOSPC) when none. */
static ssize_t
allowed(int fd, size_t want)
{
    if (!regular(fd)) {
        return (ssize_t)want;
    }
    unsigned long long b = budget();
    if (written >= b) {
        errno = ENOSPC;
        return -1;
    }
    unsigned long long left = b - written;
    size_t n = want < left ? want : (size_t)left;
    written += n;
    return (ssize_t)n;
}

#define NEXT(name) ((__typeof__(&name))dlsym(RTLD_NEXT, #name))

ssize_t
write(int fd, const void *buf, size_t count)
{
    ssize_t n = allowed(fd, count);
    return n < 0 ? -1 : NEXT(write)(fd, buf, (size_t)n);
}

ssize_t
pwrite(int fd, const void *buf, size_t count, off_t offset)
{
    ssize_t n = allowed(fd, count);
    return n < 0 ? -1 : NEXT(pwrite)(fd, buf, (size_t)n, offset);
}

ssize_t
pwrite64(int fd, const void *buf, size_t count, off_t offset)
{
    ssize_t n = allowed(fd, count);
    return n < 0 ? -1 : NEXT(pwrite64)(fd, buf, (size_t)n, offset);
}

/* Vectored writes are all or nothing here: refused once the budget is short. */
static ssize_t
allowed_vec(int fd, const struct iovec *iov, int iovcnt)
{
    size_t total = 0;
    for (int i = 0; i < iovcnt; i++) {
        total += iov[i].iov_len;
    }
    if (regular(fd) && written + total > budget()) {
        written = budget();
        errno = ENOSPC;
        return -1;
    }
    written += regular(fd) ? total : 0;
    return (ssize_t)total;
}

ssize_t
writev(int fd, const struct iovec *iov, int iovcnt)
{
    return allowed_vec(fd, iov, iovcnt) < 0 ? -1 : NEXT(writev)(fd, iov, iovcnt);
}

ssize_t
pwritev(int fd, const struct iovec *iov, int iovcnt, off_t offset)
{
    return allowed_vec(fd, iov, iovcnt) < 0 ? -1 : NEXT(pwritev)(fd, iov, iovcnt, offset);
}

static int
full(int fd)
{
    if (regular(fd) && written >= budget()) {
        errno = ENOSPC;
        return 1;
    }
    return 0;
}

int
fsync(int fd)
{
    return full(fd) ? -1 : NEXT(fsync)(fd);
}

int
fdatasync(int fd)
{
    return full(fd) ? -1 : NEXT(fdatasync)(fd);
}

int
posix_fallocate(int fd, off_t offset, off_t len)
{
    return full(fd) ? ENOSPC : NEXT(posix_fallocate)(fd, offset, len);
}

int
posix_fallocate64(int fd, off_t offset, off_t len)
{
    return full(fd) ? ENOSPC : NEXT(posix_fallocate64)(fd, offset, len);
}
