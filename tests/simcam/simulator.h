// The simcam process: every simulated device, their addresses on the interface, their listeners
// (ONVIF over HTTP, RTSP, HTTPS and vendor app ports, each on the device's address and port), the discovery
// responder, the worker pool, and the device lifecycle (moving to a new address, rebooting,
// Hello at start, Bye at exit). Listeners follow the device: closed while it reboots, reopened at
// its new address after a move and on new ports after SetNetworkProtocols.
#pragma once

#include <netinet/in.h>

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <map>
#include <mutex>
#include <string>

#include "app_port_service.h"
#include "config.h"
#include "connection_workers.h"
#include "device_table.h"
#include "discovery_responder.h"
#include "event_loop.h"
#include "https_service.h"
#include "interface_addresses.h"
#include "onvif_service.h"

namespace simcam {

class Simulator final : public DeviceHost {
  public:
    // Throws std::runtime_error if the interface does not exist.
    Simulator(SimcamConfig config, std::string ready_file);
    ~Simulator() override;

    // Sets everything up, announces readiness, serves until SIGTERM/SIGINT, says Bye, cleans up.
    // SIGTERM and SIGINT must already be blocked in every thread (main does it). Returns the exit code.
    int run();
    // Makes run() finish as SIGTERM would. Thread safe.
    void stop() { loop_.stop(); }

    // DeviceHost
    void change_address_later(Device& device, Ipv4Assignment assignment, std::chrono::milliseconds delay) override;
    void reboot(Device& device) override;
    void pause(std::chrono::milliseconds duration) override;
    void protocols_changed(Device& device) override;

  private:
    void add_device_addresses();
    void remove_owned_addresses();
    bool open_listeners(Device& device);
    void close_listeners(Device& device);
    // `slot` indexes device.listeners().
    bool open_listener(Device& device, std::size_t slot, int port);
    void close_listener(Device& device, std::size_t slot);
    void accept_connections(Device& device, std::size_t slot);
    void serve(int fd, Device& device, Service service, const std::string& peer);
    void move_address(Device& device, Ipv4Assignment to);
    void finish_reboot(Device& device);
    void announce_start();
    void say_goodbye();
    void report_ready();
    void watch_signals();

    SimcamConfig config_;
    std::string ready_file_;
    EventLoop loop_;
    InterfaceAddresses interface_;
    DeviceTable devices_;
    DiscoveryResponder discovery_;
    AppPortConnections app_connections_;  // after devices_: holds pointers to them
    TlsServerContext tls_;  // before workers_, so it outlives the threads that use it
    ConnectionWorkers workers_;
    std::map<std::uint32_t, int> owned_addresses_;  // added by simcam, removed at exit; loop thread
    int signal_fd_ = -1;

    std::atomic<bool> stopping_{false};
    std::mutex pause_mutex_;
    std::condition_variable pause_wake_;
};

}  // namespace simcam
