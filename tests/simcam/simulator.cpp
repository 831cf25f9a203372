#include "simulator.h"

#include <arpa/inet.h>
#include <netinet/tcp.h>
#include <spdlog/spdlog.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <fstream>
#include <stdexcept>
#include <thread>
#include <vector>

#include "rtsp_service.h"

namespace simcam {

namespace {

// Hello at start-up is paced so 1000 devices do not flood the installer's socket in one burst.
constexpr auto kHelloSpacing = std::chrono::milliseconds(1);
constexpr auto kByeSpacing = std::chrono::microseconds(200);
constexpr int kListenBacklog = 64;
constexpr int kAcceptBurst = 64;  // per wake-up, so one busy device cannot starve the loop
constexpr std::size_t kInitialWorkers = 4;
constexpr std::size_t kMaxWorkers = 256;
constexpr int kSocketTimeoutSeconds = 5;

std::string describe_peer(const sockaddr_in& peer) {
    return format_ipv4(peer.sin_addr) + ":" + std::to_string(ntohs(peer.sin_port));
}

const char* name_of(Service service) {
    switch (service) {
        case Service::Onvif: return "ONVIF";
        case Service::Rtsp: return "RTSP";
        case Service::Https: return "HTTPS";
        case Service::App: return "app port";
    }
    return "?";
}

// The port each of device.listeners() should listen on now, 0 for none: disabled, or a port that
// a listener before it already has (one socket cannot serve two protocols here), as when
// SetNetworkProtocols moves RTSP or HTTPS onto an app port. ONVIF stays on the configured port
// whatever the HTTP protocol setting says.
std::vector<int> wanted_ports(const Device& device) {
    const NetworkProtocols protocols = device.network().protocols;
    const auto port_of = [](const ProtocolSetting& setting) { return setting.enabled ? setting.port : 0; };
    // In the order of Device::listeners(): ONVIF, RTSP, HTTPS, then the app ports.
    std::vector<int> ports = {device.config().port, port_of(protocols.rtsp), port_of(protocols.https)};
    ports.insert(ports.end(), device.config().app_ports.begin(), device.config().app_ports.end());
    for (auto it = ports.begin(); it != ports.end(); ++it)
        if (std::find(ports.begin(), it, *it) != it) *it = 0;
    return ports;
}

}  // namespace

Simulator::Simulator(SimcamConfig config, std::string ready_file)
    : config_(std::move(config)),
      ready_file_(std::move(ready_file)),
      interface_(config_.interface),
      discovery_(loop_, devices_, interface_.index()),
      app_connections_(loop_),
      workers_(kInitialWorkers, kMaxWorkers) {
    // The AppSequence InstanceId must grow from one boot to the next: seconds since the epoch do.
    const auto boot_instance = static_cast<unsigned>(std::time(nullptr));
    for (std::size_t i = 0; i < config_.devices.size(); ++i)
        devices_.add(std::make_unique<Device>(i, config_.devices[i], boot_instance));
}

Simulator::~Simulator() {
    stopping_ = true;
    pause_wake_.notify_all();
    workers_.stop();
    for (const auto& device : devices_.all()) close_listeners(*device);
    remove_owned_addresses();
    if (signal_fd_ >= 0) ::close(signal_fd_);
}

int Simulator::run() {
    if (!interface_.enable_promote_secondaries())
        spdlog::warn("cannot set net.ipv4.conf.{}.promote_secondaries=1: moving a device may drop its neighbours",
                     interface_.name());
    if (config_.add_addresses) add_device_addresses();
    for (const auto& device : devices_.all())
        if (!open_listeners(*device))
            throw std::runtime_error("device " + device->config().address + " cannot listen on all its ports");
    discovery_.start();
    watch_signals();
    report_ready();
    announce_start();

    loop_.run();

    spdlog::info("simcam: stopping, sending Bye for {} devices", devices_.size());
    stopping_ = true;
    pause_wake_.notify_all();
    for (const auto& device : devices_.all()) close_listeners(*device);
    say_goodbye();
    workers_.stop();
    remove_owned_addresses();
    return 0;
}

void Simulator::watch_signals() {
    sigset_t signals;
    sigemptyset(&signals);
    sigaddset(&signals, SIGTERM);
    sigaddset(&signals, SIGINT);
    signal_fd_ = signalfd(-1, &signals, SFD_NONBLOCK | SFD_CLOEXEC);
    if (signal_fd_ < 0) throw std::runtime_error(std::string("signalfd: ") + std::strerror(errno));
    loop_.watch(signal_fd_, [this](std::uint32_t) {
        signalfd_siginfo info{};
        while (::read(signal_fd_, &info, sizeof info) == static_cast<ssize_t>(sizeof info))
            spdlog::debug("simcam: signal {}", info.ssi_signo);
        loop_.stop();
    });
}

void Simulator::report_ready() {
    std::printf("simcam ready: %zu devices\n", devices_.size());
    std::fflush(stdout);
    if (ready_file_.empty()) return;
    // Written under another name and renamed, so a watcher never reads a half-written file.
    const std::string temporary = ready_file_ + ".tmp";
    {
        std::ofstream file(temporary);
        file << devices_.size() << "\n";
    }
    if (std::rename(temporary.c_str(), ready_file_.c_str()) != 0)
        spdlog::error("cannot write ready file {}: {}", ready_file_, std::strerror(errno));
}

void Simulator::add_device_addresses() {
    for (const auto& device : devices_.all()) {
        const Ipv4Assignment assignment = device->network().ipv4;
        const int rc = interface_.add(assignment.address, assignment.prefix);
        if (rc == 0) {
            owned_addresses_[assignment.address.s_addr] = assignment.prefix;
        } else if (rc != EEXIST) {
            throw std::runtime_error("cannot add " + format_ipv4(assignment.address) + "/" +
                                     std::to_string(assignment.prefix) + " to " + interface_.name() + ": " +
                                     std::strerror(rc));
        }
    }
    spdlog::info("simcam: added {} addresses to {}", owned_addresses_.size(), interface_.name());
}

void Simulator::remove_owned_addresses() {
    for (const auto& [address, prefix] : owned_addresses_) {
        const int rc = interface_.remove(in_addr{address}, prefix);
        if (rc != 0 && rc != EADDRNOTAVAIL)
            spdlog::warn("cannot remove {} from {}: {}", format_ipv4(in_addr{address}), interface_.name(), std::strerror(rc));
    }
    owned_addresses_.clear();
}

// Opens what should listen and does not, on the ports it should, and closes what should not:
// one call for start-up, the end of a reboot, a move and a change of protocol ports.
bool Simulator::open_listeners(Device& device) {
    const std::vector<int> ports = wanted_ports(device);
    const std::vector<Listener>& listeners = device.listeners();
    // All closes first: a port that one listener gives up may be the one another now wants.
    for (std::size_t slot = 0; slot < listeners.size(); ++slot)
        if (listeners[slot].fd >= 0 && listeners[slot].port != ports[slot]) close_listener(device, slot);
    bool all_open = true;
    for (std::size_t slot = 0; slot < listeners.size(); ++slot)
        if (listeners[slot].fd < 0 && ports[slot] != 0 && !open_listener(device, slot, ports[slot])) all_open = false;
    return all_open;
}

// The device goes away (reboot, move, exit): so do its listeners and the connections held on its
// app ports. Connections being served by workers finish on their own.
void Simulator::close_listeners(Device& device) {
    for (std::size_t slot = 0; slot < device.listeners().size(); ++slot) close_listener(device, slot);
    app_connections_.drop(device);
}

bool Simulator::open_listener(Device& device, std::size_t slot, int port) {
    const in_addr address = device.address();
    const Service service = device.listeners()[slot].service;
    const int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        spdlog::error("{}: {} socket: {}{}", format_ipv4(address), name_of(service), std::strerror(errno),
                      errno == EMFILE ? " (a listening socket per service and app port of each device: "
                                        "raise the open file limit)"
                                      : "");
        return false;
    }
    const int on = 1;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof on);
    sockaddr_in local{};
    local.sin_family = AF_INET;
    local.sin_addr = address;
    local.sin_port = htons(static_cast<std::uint16_t>(port));
    if (bind(fd, reinterpret_cast<sockaddr*>(&local), sizeof local) != 0 || listen(fd, kListenBacklog) != 0) {
        spdlog::error("{}:{}: cannot listen for {}: {}", format_ipv4(address), port, name_of(service),
                      std::strerror(errno));
        ::close(fd);
        return false;
    }
    Listener& listener = device.listeners()[slot];
    listener.fd = fd;
    listener.port = port;
    loop_.watch(fd, [this, &device, slot](std::uint32_t) { accept_connections(device, slot); });
    return true;
}

void Simulator::close_listener(Device& device, std::size_t slot) {
    Listener& listener = device.listeners()[slot];
    if (listener.fd < 0) return;
    loop_.unwatch(listener.fd);
    ::close(listener.fd);
    listener.fd = -1;
    listener.port = 0;
}

void Simulator::accept_connections(Device& device, std::size_t slot) {
    const Listener& listener = device.listeners()[slot];
    const Service service = listener.service;
    for (int i = 0; i < kAcceptBurst && listener.fd >= 0; ++i) {
        sockaddr_in peer{};
        socklen_t length = sizeof peer;
        const int flags = SOCK_CLOEXEC | (service == Service::App ? SOCK_NONBLOCK : 0);
        const int fd = accept4(listener.fd, reinterpret_cast<sockaddr*>(&peer), &length, flags);
        if (fd < 0) return;  // EAGAIN: no more waiting
        if (service == Service::App) {  // held on this loop, not by a worker: see app_port_service.h
            app_connections_.hold(fd, device, listener.port, describe_peer(peer));
            continue;
        }
        // Bounded waits, so a client that connects and goes quiet frees its worker.
        const timeval timeout{kSocketTimeoutSeconds, 0};
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
        setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &timeout, sizeof timeout);
        const int on = 1;
        setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &on, sizeof on);
        workers_.submit({fd, describe_peer(peer), [this, &device, service](int connection, const std::string& who) {
                             serve(connection, device, service, who);
                         }});
    }
}

void Simulator::serve(int fd, Device& device, Service service, const std::string& peer) {
    switch (service) {
        case Service::Onvif: serve_connection(fd, device, *this, peer); return;
        case Service::Rtsp: serve_rtsp_connection(fd, device, peer); return;
        case Service::Https: serve_https_connection(fd, device, tls_, peer); return;
        case Service::App: break;  // never here: accept_connections hands these to app_connections_
    }
    ::close(fd);
}

void Simulator::change_address_later(Device& device, Ipv4Assignment assignment, std::chrono::milliseconds delay) {
    loop_.run_after(delay, [this, &device, assignment] {
        move_address(device, assignment);
        discovery_.send_hello(device);  // skipped while the device is rebooting
    });
}

void Simulator::move_address(Device& device, Ipv4Assignment to) {
    const Ipv4Assignment from = device.network().ipv4;
    const std::string old_text = format_ipv4(from.address);
    const std::string new_text = format_ipv4(to.address);
    if (from.address.s_addr != to.address.s_addr) {
        const int rc = interface_.add(to.address, to.prefix);
        if (rc == 0) {
            owned_addresses_[to.address.s_addr] = to.prefix;
        } else if (rc != EEXIST) {
            spdlog::error("{}: cannot add new address {}/{}: {}; keeping the old one", old_text, new_text, to.prefix,
                          std::strerror(rc));
            return;
        }
        close_listeners(device);
        // Deleting the primary address would take every secondary in its subnet (the other
        // devices) with it unless they get promoted.
        interface_.enable_promote_secondaries();
        bool shared = false;
        for (const auto& other : devices_.all())
            shared |= other.get() != &device && other->address().s_addr == from.address.s_addr;
        if (!shared) {
            const int removed = interface_.remove(from.address, from.prefix);
            if (removed != 0 && removed != EADDRNOTAVAIL)
                spdlog::warn("{}: cannot remove old address: {}", old_text, std::strerror(removed));
            owned_addresses_.erase(from.address.s_addr);
        }
        devices_.move(device, from.address, to.address);
    }
    device.commit_address(to);
    if (!device.is_silent()) open_listeners(device);
    spdlog::info("simcam: device {} moved to {}/{}", old_text, new_text, to.prefix);
}

void Simulator::reboot(Device& device) {
    loop_.post([this, &device] {
        if (device.is_silent()) return;  // already rebooting
        spdlog::info("simcam: device {} reboots for {} s", format_ipv4(device.address()), device.config().reboot_s);
        device.begin_reboot();
        close_listeners(device);
        const auto downtime = std::chrono::duration_cast<EventLoop::Clock::duration>(
            std::chrono::duration<double>(device.config().reboot_s));
        loop_.run_after(downtime, [this, &device] { finish_reboot(device); });
    });
}

void Simulator::finish_reboot(Device& device) {
    if (auto pending = device.take_pending_address()) move_address(device, *pending);
    device.end_reboot();
    open_listeners(device);
    spdlog::info("simcam: device {} is back", format_ipv4(device.address()));
    discovery_.send_hello(device);
}

void Simulator::protocols_changed(Device& device) {
    // A rebooting device opens its listeners, on the new ports, when it comes back.
    loop_.post([this, &device] {
        if (!device.is_silent()) open_listeners(device);
    });
}

void Simulator::pause(std::chrono::milliseconds duration) {
    std::unique_lock lock(pause_mutex_);
    pause_wake_.wait_for(lock, duration, [this] { return stopping_.load(); });
}

void Simulator::announce_start() {
    auto delay = EventLoop::Clock::duration::zero();
    for (const auto& device : devices_.all()) {
        Device* target = device.get();
        loop_.run_after(delay, [this, target] { discovery_.send_hello(*target); });
        delay += kHelloSpacing;
    }
}

void Simulator::say_goodbye() {
    for (const auto& device : devices_.all()) {
        discovery_.send_bye(*device);
        if (devices_.size() > 1) std::this_thread::sleep_for(kByeSpacing);
    }
}

}  // namespace simcam
