#ifndef DSNAP_COBJECTCODEC_H
#define DSNAP_COBJECTCODEC_H

// What dsnap's own object-store formats are made of: zlib streams, SHA-1 ids and Adler-32
// checksums. Only ObjectStore/ and the object checks of Git/ use them.

#include <zlib.h>
#include "dsnap_sha1.h"
#include "dsnap_adler32.h"

/// deflateInit is a macro, which Swift cannot call. Level 0 writes zlib "stored" blocks: valid
/// zlib that git reads, at memory speed (libgit2's own level 0 is broken: it omits the header).
static inline int dsnap_deflate_init(z_stream *stream, int level) {
    return deflateInit(stream, level);
}

/// inflateInit is a macro, which Swift cannot call.
static inline int dsnap_inflate_init(z_stream *stream) {
    return inflateInit(stream);
}

#endif
