// Waiting on a client with one deadline for a whole exchange rather than a timeout per read, so
// a client that trickles a byte at a time cannot hold a worker thread past it. Used by the RTSP
// and HTTPS servers (the ONVIF one has gSOAP's transfer_timeout for the same purpose).
#pragma once

#include <poll.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <climits>

namespace simcam {

using Deadline = std::chrono::steady_clock::time_point;

// True once fd is ready for `events` (POLLIN or POLLOUT), or has hung up or failed (the read or
// write that follows says so); false when the deadline passes first.
inline bool wait_until_ready(int fd, short events, Deadline deadline) {
    for (;;) {
        const auto remaining =
            std::chrono::ceil<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now()).count();
        if (remaining <= 0) return false;
        pollfd entry{fd, events, 0};
        const int ready = ::poll(&entry, 1, static_cast<int>(std::min<long long>(remaining, INT_MAX)));
        if (ready > 0) return true;
        if (ready == 0 || errno != EINTR) return false;
    }
}

}  // namespace simcam
