// WS-Discovery 2005/04 messages as ONVIF uses them: the Probe Sitelink sends, and the
// ProbeMatches, Hello and Bye it hears. Serialised and parsed by gSOAP from onvif/onvif.h.
#pragma once
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/device.h"

namespace sitelink::discover {

constexpr const char* kTypeNetworkVideoTransmitter = "dn:NetworkVideoTransmitter";
constexpr const char* kTypeDevice = "tds:Device";
constexpr int kWsDiscoveryPort = 3702;
constexpr const char* kWsDiscoveryGroup = "239.255.255.250";

// One target service in a ProbeMatches, Hello or Bye.
struct Announcement {
    std::string endpoint;
    std::vector<std::string> types;
    DeviceScopes scopes;
    std::vector<std::string> xaddrs;
    unsigned metadata_version = 0;
};

struct WsdMessage {
    enum class Kind { ProbeMatches, Hello, Bye };
    Kind kind = Kind::ProbeMatches;
    std::string message_id;
    std::string relates_to;  // for ProbeMatches: the MessageID of the Probe answered
    std::vector<Announcement> announcements;
};

// "urn:uuid:<random v4 uuid>"
std::string new_message_id();
std::string build_probe(const std::string& message_id, const std::string& types);
// Reads datagrams with one reusable gSOAP context (discovery may hear thousands of answers).
// Anything that is not one of the three messages, or is not well-formed, gives nullopt.
class MessageParser {
public:
    MessageParser();
    ~MessageParser();
    MessageParser(const MessageParser&) = delete;
    MessageParser& operator=(const MessageParser&) = delete;
    std::optional<WsdMessage> parse(std::string_view datagram);

private:
    struct Context;
    Context* context_;
};

}  // namespace sitelink::discover
