#ifndef DSNAP_CLIBGIT2_SHIM_H
#define DSNAP_CLIBGIT2_SHIM_H

#include <git2.h>
#include <git2/sys/repository.h>
#include <git2/sys/odb_backend.h>

/// dsnap's reader of loose objects, put in front of libgit2's (see CheckedLooseBackend.swift):
/// libgit2's base struct first, so libgit2 can hand it back as a `git_odb_backend *`.
typedef struct {
    git_odb_backend parent;
    /// The `objects` folder, owned (strdup) and freed with the backend.
    char *objects_path;
} dsnap_loose_backend;

/// dsnap's receiver of fetched packs (see ReceivedPackBackend.swift), libgit2's base struct first.
typedef struct {
    git_odb_backend parent;
    /// The Swift ReceivedPackBackend, retained, released with the backend.
    void *owner;
} dsnap_pack_receiver_backend;

/// One pack on its way in, as libgit2's transport hands its bytes over.
typedef struct {
    git_odb_writepack parent;
    /// The Swift ReceivedPack, retained, released when libgit2 frees the writepack.
    void *pack;
    git_odb *odb;
    git_indexer_progress_cb progress;
    void *progress_payload;
    /// Entries received when progress was last reported.
    unsigned int reported;
} dsnap_pack_receiver;

// git_libgit2_opts is variadic, which Swift cannot call: one inline wrapper per option we set.

/// Enables or disables fsync of objects and refs (GIT_OPT_ENABLE_FSYNC_GITDIR).
static inline int dsnap_set_fsync_gitdir(int enabled) {
    return git_libgit2_opts(GIT_OPT_ENABLE_FSYNC_GITDIR, enabled);
}

/// Turns libgit2's check that every object a new tree or commit names exists and has the right
/// type on or off (GIT_OPT_ENABLE_STRICT_OBJECT_CREATION).
static inline int dsnap_set_strict_object_creation(int enabled) {
    return git_libgit2_opts(GIT_OPT_ENABLE_STRICT_OBJECT_CREATION, enabled);
}

/// Turns libgit2's SHA-1 check of every object it reads on or off
/// (GIT_OPT_ENABLE_STRICT_HASH_VERIFICATION).
static inline int dsnap_set_strict_hash_verification(int enabled) {
    return git_libgit2_opts(GIT_OPT_ENABLE_STRICT_HASH_VERIFICATION, enabled);
}

/// Trusts the certificate authorities in the PEM file `file` instead of the built-in bundle
/// (GIT_OPT_SET_SSL_CERT_LOCATIONS), as git's http.sslCAInfo does.
static inline int dsnap_set_ssl_cert_file(const char *file) {
    return git_libgit2_opts(GIT_OPT_SET_SSL_CERT_LOCATIONS, file, NULL);
}

#endif
