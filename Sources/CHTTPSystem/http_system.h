#ifndef DSNAP_CHTTPSYSTEM_H
#define DSNAP_CHTTPSYSTEM_H

// The two Linux calls DsnapHTTP makes that Swift's Glibc module does not export (GNU-only), each
// creating descriptors that are close-on-exec and non-blocking from their first instant: a
// handler thread may spawn a process at any moment, and a client socket inherited by a child
// would outlive the server's close of it. Declared here rather than through _GNU_SOURCE, which
// would change the system headers under the Glibc and Dispatch modules.

#include <sys/socket.h>
#include <fcntl.h>

extern int accept4(int fd, struct sockaddr *address, socklen_t *length, int flags);
extern int pipe2(int fds[2], int flags);

/// accept(2) of a non-blocking, close-on-exec client socket.
static inline int dsnap_http_accept(int listener) {
    return accept4(listener, 0, 0, SOCK_NONBLOCK | SOCK_CLOEXEC);
}

/// pipe(2) with both ends non-blocking and close-on-exec.
static inline int dsnap_http_pipe(int fds[2]) {
    return pipe2(fds, O_NONBLOCK | O_CLOEXEC);
}

#endif
