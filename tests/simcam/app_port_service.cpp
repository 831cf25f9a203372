#include "app_port_service.h"

#include <spdlog/spdlog.h>
#include <unistd.h>

#include <cerrno>
#include <vector>

namespace simcam {

namespace {

// Past this many held connections (all devices together) new ones are closed at once, so a port
// scan or a leaky client cannot use up the file descriptors the other listeners need.
constexpr std::size_t kMaxHeld = 4096;

}  // namespace

AppPortConnections::~AppPortConnections() {
    for (const auto& [fd, held] : held_) {
        loop_.unwatch(fd);
        ::close(fd);
    }
}

void AppPortConnections::hold(int fd, const Device& device, int port, const std::string& peer) {
    const std::string who = "app port " + format_ipv4(device.address()) + ":" + std::to_string(port) + " from " + peer;
    if (held_.size() >= kMaxHeld) {
        spdlog::debug("{}: {} connections already held, closing", who, held_.size());
        ::close(fd);
        return;
    }
    const std::uint64_t id = next_id_++;
    held_[fd] = Held{id, &device, who, EventLoop::Clock::now()};
    loop_.watch(fd, [this, fd](std::uint32_t) { read_from(fd); });
    loop_.run_after(kAppIdleTimeout, [this, fd, id] { check_idle(fd, id); });
    spdlog::debug("{}: connection accepted, holding it", who);
}

void AppPortConnections::drop(const Device& device) {
    std::vector<int> fds;
    for (const auto& [fd, held] : held_)
        if (held.device == &device) fds.push_back(fd);
    for (int fd : fds) close(fd, "the device reboots or moves");
}

void AppPortConnections::read_from(int fd) {
    const auto it = held_.find(fd);
    if (it == held_.end()) return;
    char discard[4096];
    const ssize_t got = ::read(fd, discard, sizeof discard);
    if (got > 0) {
        it->second.last_heard = EventLoop::Clock::now();
    } else if (got == 0) {
        close(fd, "closed by the peer");
    } else if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) {
        close(fd, "connection error");
    }
}

void AppPortConnections::check_idle(int fd, std::uint64_t id) {
    const auto it = held_.find(fd);
    if (it == held_.end() || it->second.id != id) return;  // closed already
    const auto quiet_until = it->second.last_heard + kAppIdleTimeout;
    const auto now = EventLoop::Clock::now();
    if (now >= quiet_until) {
        close(fd, "idle timeout");
        return;
    }
    loop_.run_after(quiet_until - now, [this, fd, id] { check_idle(fd, id); });
}

void AppPortConnections::close(int fd, const char* why) {
    const auto it = held_.find(fd);
    if (it == held_.end()) return;
    spdlog::debug("{}: closing ({})", it->second.who, why);
    loop_.unwatch(fd);
    ::close(fd);
    held_.erase(it);
}

}  // namespace simcam
