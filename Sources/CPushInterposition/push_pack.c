// Interposes two functions of libgit2's pack builder for the whole process (see push_pack.h):
// the executable exports them (Sources/dsnap/exported-symbols.list), so libgit2's calls, which
// go through its procedure linkage table, land here. Unarmed, each calls libgit2's own.
#define _GNU_SOURCE
#include <dlfcn.h>
#include <stdatomic.h>
#include "push_pack.h"

static _Thread_local dsnap_push_pack_writer armed_writer;
static _Thread_local void *armed_context;
static atomic_long packs_written = 0;

void dsnap_arm_push_pack(dsnap_push_pack_writer writer, void *context) {
    armed_writer = writer;
    armed_context = context;
}

long dsnap_push_packs_written(void) {
    return atomic_load(&packs_written);
}

// libgit2's types are opaque here: pointers pass through untouched.
int git_packbuilder_insert_walk(void *builder, void *walk) {
    static int (*real)(void *, void *);
    if (armed_writer) return 0;
    if (!real) real = (int (*)(void *, void *))dlsym(RTLD_NEXT, "git_packbuilder_insert_walk");
    return real ? real(builder, walk) : -1;
}

int git_packbuilder_foreach(void *builder, dsnap_pack_send_cb send, void *payload) {
    static int (*real)(void *, dsnap_pack_send_cb, void *);
    if (armed_writer) {
        atomic_fetch_add(&packs_written, 1);
        return armed_writer(armed_context, send, payload);
    }
    if (!real) real = (int (*)(void *, dsnap_pack_send_cb, void *))dlsym(RTLD_NEXT, "git_packbuilder_foreach");
    return real ? real(builder, send, payload) : -1;
}
