#ifndef DSNAP_CLIBGIT2_SHIM_H
#define DSNAP_CLIBGIT2_SHIM_H

#include <git2.h>
#include <git2/sys/repository.h>

// git_libgit2_opts is variadic, which Swift cannot call: one inline wrapper per option we set.

/// Enables or disables fsync of objects and refs (GIT_OPT_ENABLE_FSYNC_GITDIR).
static inline int dsnap_set_fsync_gitdir(int enabled) {
    return git_libgit2_opts(GIT_OPT_ENABLE_FSYNC_GITDIR, enabled);
}

/// Sets the search path for a config level to an empty list, so tests and users are not
/// surprised by a system-wide config (GIT_OPT_SET_SEARCH_PATH).
static inline int dsnap_set_search_path(int level, const char *path) {
    return git_libgit2_opts(GIT_OPT_SET_SEARCH_PATH, level, path);
}

#endif
