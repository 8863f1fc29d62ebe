// Interposes zlib's deflateInit_ (what the deflateInit macro calls) for the whole process: the
// executable exports it (Sources/dsnap/exported-symbols.list), so the dynamic linker binds
// libgit2's calls here before libz. Outside a push it changes nothing.
#define _GNU_SOURCE
#include <dlfcn.h>
#include <stdatomic.h>
#include <zlib.h>
#include "push_deflate.h"

static atomic_int push_level = -1;
static atomic_long streams_at_push_level = 0;

void dsnap_set_push_deflate_level(int level) {
    atomic_store(&push_level, level);
}

long dsnap_push_deflate_streams(void) {
    return atomic_load(&streams_at_push_level);
}

int deflateInit_(z_streamp stream, int level, const char *version, int stream_size) {
    static int (*real)(z_streamp, int, const char *, int);
    if (!real) real = (int (*)(z_streamp, int, const char *, int))dlsym(RTLD_NEXT, "deflateInit_");
    if (!real) return Z_VERSION_ERROR;
    int forced = atomic_load(&push_level);
    if (forced >= 0) {
        atomic_fetch_add(&streams_at_push_level, 1);
        level = forced;
    }
    return real(stream, level, version, stream_size);
}
