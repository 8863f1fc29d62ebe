#ifndef DSNAP_CSYSTEM_H
#define DSNAP_CSYSTEM_H

// The Linux system calls dsnap makes that Swift's Glibc module does not export (GNU extensions)
// or that need a flag Swift cannot spell. Only System/ and Checkout/ call them.

#include <sys/types.h>
#include <fcntl.h>

/// syncfs(2) is a GNU extension that Swift's Glibc module does not export: one sync of the file
/// system holding `fd`, instead of one fsync per file written. Declared here rather than through
/// _GNU_SOURCE, which would change the system headers under the Glibc and Dispatch modules.
extern int syncfs(int fd);
static inline int dsnap_syncfs(int fd) {
    return syncfs(fd);
}

/// copy_file_range(2), GNU-only as well: the kernel copies between two files without the bytes
/// passing through this process (what `cp` does). Restore copies media content this way.
extern ssize_t copy_file_range(int fd_in, __off64_t *off_in, int fd_out, __off64_t *off_out, size_t length,
                               unsigned int flags);
static inline ssize_t dsnap_copy_file_range(int from, long long *offset, int to, size_t length) {
    __off64_t position = (__off64_t)*offset;
    ssize_t copied = copy_file_range(from, &position, to, 0, length, 0);
    *offset = (long long)position;
    return copied;
}

/// Whether the byte at offset 0 of `fd` is in the page cache: preadv2(2) with RWF_NOWAIT (also
/// GNU-only) fails with EAGAIN rather than wait for the disk. 1 where the kernel cannot tell.
#include <sys/uio.h>
#include <errno.h>
extern ssize_t preadv2(int fd, const struct iovec *iov, int iovcnt, __off64_t offset, int flags);
static inline int dsnap_first_page_is_cached(int fd) {
    unsigned char byte;
    struct iovec vector = { &byte, 1 };
    return preadv2(fd, &vector, 1, 0, 0x00000008 /* RWF_NOWAIT */) >= 0 || errno != EAGAIN;
}

/// renameat2(2) with RENAME_EXCHANGE, also GNU-only: swaps two names atomically. A checkout
/// swaps its new file into place and then unlinks the old one, because ext4 flushes a file
/// renamed *over* another before the rename returns (auto_da_alloc): 0.2-0.3 s per large file.
/// Returns -1 with errno EINVAL or ENOSYS where the file system or kernel cannot exchange.
extern int renameat2(int olddirfd, const char *oldpath, int newdirfd, const char *newpath, unsigned int flags);
static inline int dsnap_rename_exchange(const char *first, const char *second) {
    return renameat2(-100 /* AT_FDCWD */, first, -100 /* AT_FDCWD */, second, 1u << 1 /* RENAME_EXCHANGE */);
}

/// The same swap of two names in the folder open as `folder` (AT_FDCWD for whole paths): a file
/// whose path is longer than PATH_MAX is reached from its folder's descriptor.
static inline int dsnap_rename_exchange_at(int folder, const char *first, const char *second) {
    return renameat2(folder, first, folder, second, 1u << 1 /* RENAME_EXCHANGE */);
}

/// renameat2(2) with RENAME_NOREPLACE: gives a finished file its name only where nothing stands
/// (fails with EEXIST otherwise), for file systems without unnamed files.
static inline int dsnap_rename_noreplace(const char *from, const char *to) {
    return renameat2(-100 /* AT_FDCWD */, from, -100 /* AT_FDCWD */, to, 1u << 0 /* RENAME_NOREPLACE */);
}

/// RENAME_NOREPLACE within the folder open as `folder` (AT_FDCWD for whole paths).
static inline int dsnap_rename_noreplace_at(int folder, const char *from, const char *to) {
    return renameat2(folder, from, folder, to, 1u << 0 /* RENAME_NOREPLACE */);
}

/// Gives the unnamed file `fd` the name `path`: linkat(2) with AT_EMPTY_PATH names the open file
/// itself (it needs CAP_DAC_READ_SEARCH on older kernels); where that is refused, through
/// /proc/self/fd, a path lookup more per file. Returns -1 with errno as linkat sets it.
#include <stdio.h>
#include <errno.h>
#include <unistd.h>
/// `path` is relative to the folder open as `folder` (AT_FDCWD for a whole path).
static inline int dsnap_link_unnamed_at(int fd, int folder, const char *path) {
    if (linkat(fd, "", folder, path, 0x1000 /* AT_EMPTY_PATH */) == 0) return 0;
    if (errno != ENOENT && errno != EPERM && errno != EINVAL) return -1;
    char proc[64];
    snprintf(proc, sizeof proc, "/proc/self/fd/%d", fd);
    return linkat(-100 /* AT_FDCWD */, proc, folder, path, 0x400 /* AT_SYMLINK_FOLLOW */);
}
static inline int dsnap_link_unnamed(int fd, const char *path) {
    return dsnap_link_unnamed_at(fd, -100 /* AT_FDCWD */, path);
}

/// open(2) with O_TMPFILE (GNU-only): an object file with no name until it is complete, in the
/// folder it will be linked into. Creating and renaming a named temporary file serialized the
/// workers of a snapshot on the folders' locks (and on the file system's rename mutex when the
/// temporary lived in another folder). Returns -1 with errno EOPNOTSUPP, EISDIR or EINVAL where
/// the file system or kernel has no unnamed files.
static inline int dsnap_open_unnamed(const char *directory, unsigned int mode) {
#ifdef __O_TMPFILE
    int flags = __O_TMPFILE;  /* glibc's, O_DIRECTORY included */
#else
    int flags = 020000000 | O_DIRECTORY;
#endif
    return open(directory, flags | O_WRONLY | O_CLOEXEC, mode);
}

/// The same, in `directory` relative to the folder open as `folder` (`"."`: that folder itself).
static inline int dsnap_open_unnamed_at(int folder, const char *directory, unsigned int mode) {
#ifdef __O_TMPFILE
    int flags = __O_TMPFILE;
#else
    int flags = 020000000 | O_DIRECTORY;
#endif
    return openat(folder, directory, flags | O_WRONLY | O_CLOEXEC, mode);
}

/// posix_spawn_file_actions_addchdir_np (glibc 2.29+, GNU-only): the child starts in another folder
/// while dsnap's own working directory, shared by all its threads, stays where it is.
#include <spawn.h>
extern int posix_spawn_file_actions_addchdir_np(posix_spawn_file_actions_t *actions, const char *path);
static inline int dsnap_spawn_add_chdir(posix_spawn_file_actions_t *actions, const char *path) {
    return posix_spawn_file_actions_addchdir_np(actions, path);
}

#endif
