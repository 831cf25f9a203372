// A vendor's proprietary app/SDK port (a device's config "app_ports"), such as Hanwha's 4520 or
// Hikvision's 8000. The protocol is not simulated: the device only accepts the connection, which is
// all an outside-in reachability check (sitelink verify, through a port forward) looks at. Each
// connection is held on the event loop rather than a worker thread, since it may sit idle for long:
// nothing is sent, whatever the peer sends is discarded, and it is closed when the peer closes it,
// after kAppIdleTimeout without a byte from the peer, or when its device reboots or moves.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string>
#include <unordered_map>

#include "device.h"
#include "event_loop.h"

namespace simcam {

inline constexpr auto kAppIdleTimeout = std::chrono::seconds(30);

class AppPortConnections {
  public:
    explicit AppPortConnections(EventLoop& loop) : loop_(loop) {}
    ~AppPortConnections();  // closes whatever is still held
    AppPortConnections(const AppPortConnections&) = delete;
    AppPortConnections& operator=(const AppPortConnections&) = delete;

    // Takes ownership of fd, a non-blocking socket accepted on one of device's app ports. Loop thread.
    void hold(int fd, const Device& device, int port, const std::string& peer);
    // Closes every connection held for device: it reboots or moves. Loop thread.
    void drop(const Device& device);

    std::size_t size() const { return held_.size(); }

  private:
    struct Held {
        std::uint64_t id;  // tells a connection from a later one that got the same fd number
        const Device* device;
        std::string who;
        EventLoop::Clock::time_point last_heard;
    };

    void read_from(int fd);
    void check_idle(int fd, std::uint64_t id);
    void close(int fd, const char* why);

    EventLoop& loop_;
    std::unordered_map<int, Held> held_;  // by fd
    std::uint64_t next_id_ = 0;
};

}  // namespace simcam
