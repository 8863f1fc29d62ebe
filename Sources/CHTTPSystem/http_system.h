#ifndef DSNAP_CHTTPSYSTEM_H
#define DSNAP_CHTTPSYSTEM_H

// The Linux calls DsnapHTTP makes that Swift's Glibc module does not export. accept4 and pipe2
// (GNU-only) create descriptors that are close-on-exec and non-blocking from their first
// instant: a handler thread may spawn a process at any moment, and a client socket inherited by
// a child would outlive the server's close of it. They are declared here rather than through
// _GNU_SOURCE, which would change the system headers under the Glibc and Dispatch modules.
// epoll, which Glibc's module leaves out, is wrapped so Swift never sees its packed struct.

#include <sys/socket.h>
#include <sys/epoll.h>
#include <stdint.h>
#include <fcntl.h>

#include <pthread.h>

extern int accept4(int fd, struct sockaddr *address, socklen_t *length, int flags);
extern int pipe2(int fds[2], int flags);
extern int pthread_setname_np(pthread_t thread, const char *name);

/// Names a worker thread (Linux keeps 15 bytes), so `top -H` and a backtrace say what it is.
static inline int dsnap_http_name_thread(pthread_t thread, const char *name) {
    return pthread_setname_np(thread, name);
}

/// accept(2) of a non-blocking, close-on-exec client socket.
static inline int dsnap_http_accept(int listener) {
    return accept4(listener, 0, 0, SOCK_NONBLOCK | SOCK_CLOEXEC);
}

/// pipe(2) with both ends non-blocking and close-on-exec.
static inline int dsnap_http_pipe(int fds[2]) {
    return pipe2(fds, O_NONBLOCK | O_CLOEXEC);
}

/// One readiness event: the key the descriptor was registered with, and what it is ready for.
struct dsnap_http_event {
    uint64_t key;
    int readable;  /* input, end of stream, or an error a read will report */
    int writable;  /* room to write, or an error a write will report */
};

/// An epoll instance, close-on-exec.
static inline int dsnap_http_epoll_create(void) {
    return epoll_create1(EPOLL_CLOEXEC);
}

/// Registers `fd` under `key` (again, if `registered`) for input, or for output when `for_output`;
/// level-triggered.
static inline int dsnap_http_epoll_watch(int epoll, int fd, uint64_t key, int for_output, int registered) {
    struct epoll_event event = { .events = for_output ? EPOLLOUT : EPOLLIN, .data = { .u64 = key } };
    return epoll_ctl(epoll, registered ? EPOLL_CTL_MOD : EPOLL_CTL_ADD, fd, &event);
}

/// Stops watching `fd` (a level-triggered hang-up would otherwise be reported on every wait).
static inline int dsnap_http_epoll_unwatch(int epoll, int fd) {
    struct epoll_event unused = { 0 };
    return epoll_ctl(epoll, EPOLL_CTL_DEL, fd, &unused);
}

/// epoll_wait(2) for at most 256 events into `out`; the count, or -1 with errno.
static inline int dsnap_http_epoll_wait(int epoll, struct dsnap_http_event *out, int capacity, int timeout) {
    struct epoll_event events[256];
    int count = epoll_wait(epoll, events, capacity < 256 ? capacity : 256, timeout);
    for (int index = 0; index < count; index++) {
        uint32_t ready = events[index].events;
        out[index].key = events[index].data.u64;
        out[index].readable = (ready & (EPOLLIN | EPOLLHUP | EPOLLERR | EPOLLRDHUP)) != 0;
        out[index].writable = (ready & (EPOLLOUT | EPOLLHUP | EPOLLERR)) != 0;
    }
    return count;
}

#endif
