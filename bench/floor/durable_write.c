// The floor under a first snapshot: how long this machine takes to write D1's images durably in
// the layout dsnap gives them, with none of dsnap's other work (no scan, no hashing, no index,
// no commit). Each file is read whole, wrapped as a loose object's bytes are (zlib header,
// "blob N\0", stored blocks of at most 65,535 bytes, a 4-byte trailer: here zeros, not the
// Adler-32), written as an unnamed file (O_TMPFILE) in one of 256 folders and linked in under a
// name, by THREADS threads; one syncfs at the end. With DIRECT=1 the whole pages go out with
// O_DIRECT and the last partial page through the page cache.
//
// Not part of the build or of CI; used by hand (its figures are in bench/RESULTS.md, under 023e269):
//   gcc -O2 -o /tmp/floor bench/floor/durable_write.c -lpthread
//   find DATA -name '*.jpg' | sort | /usr/bin/time /tmp/floor DIRECT OUT THREADS
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

enum { BUFFER = 4 << 20, MAX_FILES = 1000000 };
static char **paths;
static int path_count;
static atomic_int next_path;
static int direct;
static const char *out;

static void fail(const char *what, const char *path) {
    fprintf(stderr, "floor: %s %s: %s\n", what, path, strerror(errno));
    exit(1);
}

static void write_all(int fd, const char *bytes, size_t count, off_t offset, const char *path) {
    while (count > 0) {
        ssize_t done = pwrite(fd, bytes, count, offset);
        if (done < 0) fail("write", path);
        bytes += done, count -= (size_t)done, offset += done;
    }
}

static void *worker(void *unused) {
    (void)unused;
    char *input = aligned_alloc(4096, BUFFER), *object = aligned_alloc(4096, BUFFER + 4096);
    char folder[4096], name[4200], proc[64];
    for (int i; (i = atomic_fetch_add(&next_path, 1)) < path_count;) {
        int fd = open(paths[i], O_RDONLY);
        if (fd < 0) fail("open", paths[i]);
        ssize_t size = read(fd, input, BUFFER);
        if (size < 0) fail("read", paths[i]);
        close(fd);
        char header[32];
        size_t header_size = (size_t)snprintf(header, sizeof header, "blob %zd", size) + 1;
        size_t total = header_size + (size_t)size, position = 0, o = 0;
        object[o++] = 0x78, object[o++] = 0x01;
        while (position < total) {
            size_t length = total - position < 65535 ? total - position : 65535;
            object[o++] = position + length == total;
            object[o++] = length & 0xFF, object[o++] = length >> 8;
            object[o++] = ~length & 0xFF, object[o++] = (~length >> 8) & 0xFF;
            for (size_t k = 0; k < length;) {
                size_t at = position + k;
                if (at < header_size) {
                    object[o++] = header[at], k++;
                } else {
                    memcpy(object + o, input + (at - header_size), length - k);
                    o += length - k, k = length;
                }
            }
            position += length;
        }
        memset(object + o, 0, 4), o += 4;
        snprintf(folder, sizeof folder, "%s/%02x", out, i % 256);
        if (mkdir(folder, 0777) != 0 && errno != EEXIST) fail("mkdir", folder);
        int object_fd = open(folder, O_TMPFILE | O_WRONLY | (direct ? O_DIRECT : 0), 0444);
        if (object_fd < 0) fail("create in", folder);
        size_t whole_pages = direct ? o & ~(size_t)4095 : 0;
        if (whole_pages) write_all(object_fd, object, whole_pages, 0, folder);
        if (o > whole_pages) {
            if (direct) fcntl(object_fd, F_SETFL, fcntl(object_fd, F_GETFL) & ~O_DIRECT);
            write_all(object_fd, object + whole_pages, o - whole_pages, (off_t)whole_pages, folder);
        }
        snprintf(name, sizeof name, "%s/%d", folder, i);
        snprintf(proc, sizeof proc, "/proc/self/fd/%d", object_fd);
        if (linkat(AT_FDCWD, proc, AT_FDCWD, name, AT_SYMLINK_FOLLOW) != 0) fail("link", name);
        close(object_fd);
    }
    free(input), free(object);
    return NULL;
}

int main(int argc, char **argv) {
    if (argc != 4) {
        fprintf(stderr, "usage: find DATA -name '*.jpg' | floor DIRECT(0|1) OUT THREADS\n");
        return 2;
    }
    direct = atoi(argv[1]), out = argv[2];
    int threads = atoi(argv[3]);
    if (threads < 1 || threads > 64) threads = 2;
    paths = malloc(sizeof(char *) * MAX_FILES);
    char line[4096];
    while (path_count < MAX_FILES && fgets(line, sizeof line, stdin)) {
        line[strcspn(line, "\n")] = 0;
        paths[path_count++] = strdup(line);
    }
    if (mkdir(out, 0777) != 0 && errno != EEXIST) fail("mkdir", out);
    pthread_t workers[64];
    for (int k = 0; k < threads; k++) pthread_create(&workers[k], NULL, worker, NULL);
    for (int k = 0; k < threads; k++) pthread_join(workers[k], NULL);
    int fd = open(out, O_RDONLY | O_DIRECTORY);
    if (fd < 0 || syncfs(fd) != 0) fail("syncfs", out);
    return 0;
}
