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

/// The most objects a received pack may declare (GIT_OPT_SET_PACK_MAX_OBJECTS): the indexer
/// refuses a pack claiming more at its header, before it reserves memory for each.
static inline int dsnap_set_pack_max_objects(size_t count) {
    return git_libgit2_opts(GIT_OPT_SET_PACK_MAX_OBJECTS, count);
}

/// Trusts the certificate authorities in the PEM file `file` instead of the built-in bundle
/// (GIT_OPT_SET_SSL_CERT_LOCATIONS), as git's http.sslCAInfo does.
static inline int dsnap_set_ssl_cert_file(const char *file) {
    return git_libgit2_opts(GIT_OPT_SET_SSL_CERT_LOCATIONS, file, NULL);
}

#endif
