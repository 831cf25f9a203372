// WS-Discovery 2005/04 target service for every simulated device: one UDP socket on port 3702,
// joined to 239.255.255.250 on the configured interface. Each device answers a matching Probe
// with its own unicast ProbeMatches, sent from its own address (IP_PKTINFO) after a random
// 0-500 ms delay taken from the event loop's timer queue. Hello and Bye are sent on request.
#pragma once

#include <netinet/in.h>

#include <chrono>
#include <cstdint>
#include <deque>
#include <optional>
#include <random>
#include <string>
#include <unordered_map>
#include <vector>

#include "device_table.h"
#include "event_loop.h"

struct soap;
class DiscoveryProxy;

namespace simcam {

class DiscoveryResponder {
  public:
    DiscoveryResponder(EventLoop& loop, DeviceTable& devices, int interface_index);
    ~DiscoveryResponder();
    DiscoveryResponder(const DiscoveryResponder&) = delete;
    DiscoveryResponder& operator=(const DiscoveryResponder&) = delete;

    // Opens the socket, joins the group and starts answering. Throws std::runtime_error.
    void start();

    // Loop thread (or after the loop stopped). Multicast, from the device's current address.
    void send_hello(Device& device);
    void send_bye(Device& device);

  private:
    struct ProbeRequest {
        std::string message_id;  // empty when the Probe had none
        std::string types;
        std::optional<std::string> scopes;
        std::string match_by;
    };
    struct AnsweredProbe {
        std::chrono::steady_clock::time_point first_seen;
        std::vector<bool> answered;  // by device index
    };

    void on_readable();
    std::optional<ProbeRequest> parse_probe(const char* data, std::size_t length);
    bool first_time(const std::string& message_id, const Device& device);
    void schedule_probe_match(Device& device, const std::string& relates_to, const sockaddr_in& prober);
    void send_probe_match(Device& device, const std::string& relates_to, const sockaddr_in& prober);

    std::string serialize_probe_matches(const DiscoveryRecord& record, const std::string& relates_to);
    std::string serialize_hello(const DiscoveryRecord& record);
    std::string serialize_bye(const DiscoveryRecord& record);
    void announce(Device& device, std::string (DiscoveryResponder::*serialize)(const DiscoveryRecord&), const char* what);
    bool send_from(in_addr source, const sockaddr_in& destination, const std::string& payload, bool multicast);

    EventLoop& loop_;
    DeviceTable& devices_;
    const int interface_index_;
    int socket_ = -1;
    struct soap* soap_ = nullptr;  // parses probes and writes answers; loop thread only
    DiscoveryProxy* proxy_ = nullptr;
    std::mt19937 random_;
    std::vector<char> receive_buffer_ = std::vector<char>(65536);  // largest UDP datagram

    std::unordered_map<std::string, AnsweredProbe> answered_;
    std::deque<std::string> answered_order_;  // oldest first, for expiry
};

}  // namespace simcam
