// sitelink-simcam's configuration: the JSON file that describes the simulated devices.
// Parsing validates every value and rejects unknown keys by name, so a typo in a test's config
// fails loudly instead of silently simulating a different camera.
#pragma once

#include <netinet/in.h>

#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace simcam {

enum class AuthMode {
    None,           // every operation allowed anonymously
    Digest,         // HTTP Digest, challenge offers SHA-256 and MD5
    DigestMd5,      // HTTP Digest, MD5 only (older firmware)
    UsernameToken,  // WS-Security UsernameToken PasswordDigest in the SOAP header
    Both,           // challenge with Digest, accept Digest or UsernameToken
};
std::string_view to_string(AuthMode mode);

// ONVIF user levels (tt:UserLevel). Anonymous users get only PRE_AUTH operations.
enum class UserLevel { Administrator, Operator, User, Anonymous };
std::string_view to_string(UserLevel level);
std::optional<UserLevel> parse_user_level(std::string_view text);

struct UserAccount {
    std::string username;
    std::string password;
    UserLevel level = UserLevel::User;
};

struct MediaProfile {
    std::string token;
    std::string name;
    std::string encoding;  // JPEG, MPEG4, H264, H265
    int width = 1920;
    int height = 1080;
    std::string stream_path;    // appended to rtsp://<ip>:<rtsp port>
    std::string snapshot_path;  // appended to http://<ip>[:<http port>]
};

// One network protocol as GetNetworkProtocols reports it; port 0 in the config means disabled.
// Each device really serves RTSP and HTTPS on their ports (rtsp_service.h, https_service.h).
struct ProtocolSetting {
    bool enabled = true;
    int port = 0;
};
struct NetworkProtocols {
    ProtocolSetting http{true, 80};
    ProtocolSetting https{true, 443};
    ProtocolSetting rtsp{true, 554};
};

// Misbehaviour switches that let tests exercise the agent's error paths.
struct FaultSwitches {
    bool ignore_network_changes = false;  // accept Set* network writes, answer OK, keep the old config
    bool drop_connection = false;         // read the request, close without answering
    bool malformed = false;               // answer HTTP 200 with broken XML
    int slow_ms = 0;                      // wait this long before answering
    int flood_probe_matches = 0;          // answer each WS-Discovery Probe with this many ProbeMatches
    std::vector<std::string> ops;         // operation names the switches apply to; empty = all

    bool applies_to(std::string_view operation) const;
};

struct DeviceConfig {
    std::string address;  // dotted IPv4, validated
    int prefix = 24;
    int port = 80;
    std::string endpoint;  // urn:uuid:..., derived from serial when not given
    std::string manufacturer = "Sitelink";
    std::string model = "SimCam-1";
    std::string serial;  // derived from the address when not given
    std::string mac;     // aa:bb:cc:dd:ee:ff, derived from the address when not given
    std::string firmware = "1.0.0";
    std::string hardware_id = "SC1";
    std::string name;  // name scope; derived from the address when not given
    std::string location = "site";
    bool dhcp = false;
    std::vector<std::string> gateway;  // IPv4 gateways
    std::vector<std::string> dns;      // manual IPv4 DNS servers
    std::vector<MediaProfile> profiles;
    AuthMode auth = AuthMode::Digest;
    std::vector<UserAccount> users;
    std::int64_t clock_offset_s = 0;
    bool reboot_needed = false;
    double reboot_s = 2.0;
    NetworkProtocols protocols;
    // TCP ports the device also accepts connections on, like a vendor's proprietary SDK/app port
    // (Hanwha 4520, Hikvision 8000): connections are held open and nothing is said on them.
    std::vector<int> app_ports;
    FaultSwitches faults;
};

struct SimcamConfig {
    std::string interface = "eth0";
    bool add_addresses = true;
    std::vector<DeviceConfig> devices;
};

// A configuration error: the message names the key, the bad value and the rule.
class ConfigError : public std::runtime_error {
  public:
    using std::runtime_error::runtime_error;
};

SimcamConfig load_config_file(const std::string& path);
SimcamConfig parse_config(std::string_view json_text);

// Helpers shared with the rest of simcam.
std::optional<in_addr> parse_ipv4(const std::string& text);
std::string format_ipv4(in_addr address);
std::string endpoint_from_serial(const std::string& serial);

}  // namespace simcam
