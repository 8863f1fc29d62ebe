#ifndef DSNAP_PUSH_DEFLATE_H
#define DSNAP_PUSH_DEFLATE_H

/// Sets the zlib level libgit2's pack builder gets while dsnap pushes (-1: whatever it asks for).
/// libgit2 1.5 deflates every object of a push pack at zlib's default level, hard-coded: on media
/// (already compressed) that costs ~20 s a GB and saves nothing. `deflateInit_` is interposed in
/// push_deflate.c, so the level is the one set here while it is set.
void dsnap_set_push_deflate_level(int level);

/// How many zlib streams were started at the level set (for the test that the interposition
/// still takes effect with the libgit2 and zlib at hand).
long dsnap_push_deflate_streams(void);

#endif
