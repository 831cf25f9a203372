// What Sitelink knows about a camera or recorder. These types are the agent's vocabulary: the
// stages fill them, the CLI prints them, the web API sends them, the site database stores them.
#pragma once
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json_fwd.hpp>

namespace sitelink {

// "ACCC8E012345", "ac-cc-8e-01-23-45" and "AC:CC:8E:01:23:45" all become "ac:cc:8e:01:23:45";
// anything that is not 12 hex digits stays as given.
std::string normalize_mac(const std::string& text);

// What a device says about itself in its WS-Discovery scopes (onvif://www.onvif.org/<key>/<value>).
struct DeviceScopes {
    std::optional<std::string> name;
    std::optional<std::string> hardware;
    std::optional<std::string> location;
    std::optional<std::string> mac;
    std::optional<std::string> serial;
    std::vector<std::string> profiles;  // ONVIF profiles claimed: Streaming, G, T, ...
    std::vector<std::string> all;       // every scope URI as sent
};

// A device found on the network, before anyone has logged in to it.
struct DiscoveredDevice {
    std::string endpoint;              // WS-Discovery EndpointReference: stable across address changes
    std::vector<std::string> xaddrs;   // device service URLs, as announced
    std::string address;               // the IPv4 address Sitelink reaches it at
    std::vector<std::string> types;    // e.g. dn:NetworkVideoTransmitter tds:Device
    DeviceScopes scopes;
    std::vector<std::string> found_by; // every method that saw it: ws-discovery, sweep, mdns
    unsigned metadata_version = 0;
    std::string mdns_hostname;              // e.g. axis-accc8e000001.local., when seen over mDNS
    std::vector<std::string> mdns_services; // e.g. _axis-video._tcp:80
};

// The key a site knows a device by, which never changes with its address: the EndpointReference,
// else "mac:<mac>", else "address:<address>" for a device that says neither.
std::string device_key(const std::string& endpoint, const std::string& mac, const std::string& address);
std::string device_key(const DiscoveredDevice& found);

struct NetworkSettings {
    bool operator==(const NetworkSettings&) const = default;
    std::string address;
    int prefix = 0;
    std::optional<std::string> gateway;
    bool dhcp = false;
    std::vector<std::string> dns;
    std::string interface_token;  // the device's name for its interface, needed to change it
};

struct MediaProfile {
    std::string token;
    std::string name;
    std::string encoding;
    int width = 0;
    int height = 0;
    std::string stream_uri;
    std::string snapshot_uri;
};

struct ServiceEndpoint {
    std::string ns;     // the service's namespace URI
    std::string xaddr;
    std::string version;
};

struct ProtocolSetting {
    std::string name;  // HTTP, HTTPS, RTSP
    bool enabled = false;
    std::vector<int> ports;
};

struct UserAccount {
    std::string username;
    std::string level;  // Administrator, Operator, User, Anonymous, Extended
};

// Everything an installer needs from one device, read over ONVIF by `sitelink inspect`.
struct DeviceReport {
    std::string url;  // the device service URL used
    std::string manufacturer;
    std::string model;
    std::string firmware;
    std::string serial;
    std::string hardware_id;
    std::string mac;
    NetworkSettings network;
    double clock_offset_s = 0;
    std::string auth;  // digest, usernametoken or none
    std::vector<ServiceEndpoint> services;
    std::vector<ProtocolSetting> protocols;
    std::vector<UserAccount> users;
    std::vector<MediaProfile> profiles;
    std::vector<std::string> warnings;  // reads that failed without spoiling the rest
};

void to_json(nlohmann::json& j, const DeviceScopes& v);
void to_json(nlohmann::json& j, const DiscoveredDevice& v);
void to_json(nlohmann::json& j, const NetworkSettings& v);
// For settings read back from the site database; throws nlohmann::json::exception on bad input.
void from_json(const nlohmann::json& j, NetworkSettings& v);
void to_json(nlohmann::json& j, const MediaProfile& v);
void to_json(nlohmann::json& j, const ServiceEndpoint& v);
void to_json(nlohmann::json& j, const ProtocolSetting& v);
void to_json(nlohmann::json& j, const UserAccount& v);
void to_json(nlohmann::json& j, const DeviceReport& v);

}  // namespace sitelink
