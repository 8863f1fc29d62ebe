#ifndef DSNAP_PUSH_PACK_H
#define DSNAP_PUSH_PACK_H

#include <stddef.h>

/// libgit2's callback that sends the bytes of a push's pack to the server.
typedef int (*dsnap_pack_send_cb)(void *bytes, size_t size, void *payload);

/// Writes a whole pack through `send` (called with `payload`); returns 0, or the first negative
/// value `send` returned, or -1 after setting libgit2's error.
typedef int (*dsnap_push_pack_writer)(void *context, dsnap_pack_send_cb send, void *payload);

/// Arms dsnap's own pack for the pushes this thread makes until it is disarmed (writer NULL).
///
/// libgit2 1.5's push builds its pack itself: it walks every tree of every commit the server has
/// (to leave out what the server holds), reads each object to send whole into memory (a 1 GiB
/// video: 1 GiB resident) and deflates it at zlib's default level, hard-coded. While a writer is
/// armed, two of libgit2's functions are interposed (push_pack.c; the executable exports them,
/// so the dynamic linker binds libgit2's own calls to them): `git_packbuilder_insert_walk` does
/// nothing (dsnap chose the objects), and `git_packbuilder_foreach`, which streams the pack to
/// the server, runs `writer` instead. Everything else of the push (the ref negotiation, the
/// server's report) stays libgit2's.
void dsnap_arm_push_pack(dsnap_push_pack_writer writer, void *context);

/// How many packs armed writers have written (for the test that the interposition still takes
/// effect with the libgit2 at hand).
long dsnap_push_packs_written(void);

#endif
