// The data in profiles/: loaded and validated once, then read by the stages.
#pragma once
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "core/error.h"

namespace sitelink {

struct MdnsServiceProfile {
    std::string service;             // e.g. _axis-video._tcp
    bool identifies_camera = false;  // listed on its own, or only enriches a device found otherwise
    std::map<std::string, std::string> txt;  // what Sitelink wants (mac, serial, model) -> TXT key
    std::string vendor;              // the vendor profile it came from
};

// A vendor-specific port a phone app needs (Hikvision's SDK port 8000, Dahua's 37777, ...).
struct AppPort {
    std::string service;             // short name used in forwarding rules: "hik-sdk"
    int port = 0;
    std::string protocol;            // TCP or UDP
    std::vector<std::string> roles;  // "recorder", "camera": which devices it is opened for
    std::string purpose;             // what uses it, for the plan and the customer sheet
};

// A DDNS client built into the vendor's devices, which can own the site's name instead of a
// keeper: where it is in the device's web page, and which providers it speaks to.
struct DeviceDdnsClient {
    std::vector<std::string> menu;       // "Configuration", "Network", "Basic Settings", "DDNS"
    std::vector<std::string> providers;  // profiles/ddns ids its client supports
    std::vector<std::string> notes;
};

struct VendorProfile {
    std::string vendor;
    std::vector<std::string> manufacturer_names;
    std::vector<std::string> mac_prefixes;
    std::vector<MdnsServiceProfile> mdns;
    std::vector<AppPort> app_ports;
    std::optional<DeviceDdnsClient> ddns_client;

    bool made(const std::string& manufacturer) const;  // the device's GetDeviceInformation name
};

// How a router family's port forwarding screen looks, for the manual guide.
struct RouterProfile {
    std::string id;  // the file name without .json; "generic" is the fallback
    std::string family;
    std::vector<std::vector<std::string>> match;  // alternatives, each a list of lower-case substrings
    std::string admin_url;                        // "{gateway}" stands for the router's LAN address
    std::vector<std::string> menu;
    std::string add;
    std::optional<std::string> field_name;
    std::string field_external_port, field_internal_address, field_internal_port, field_protocol;
    std::map<std::string, std::string> protocol_values;  // TCP/UDP -> how the screen spells it
    std::string save;
    std::string remove;
    std::optional<std::vector<std::string>> upnp_menu;
    std::vector<std::string> notes;

    // Whether the router's description (manufacturer, model, friendly name) matches this family.
    bool matches(const std::string& description) const;
};

// A DDNS provider: which protocol it speaks, where, and what credentials it takes.
struct DdnsProviderProfile {
    std::string id;        // the file name without .json
    std::string name;      // "No-IP"
    std::string protocol;  // dyndns2, duckdns, cloudflare, rfc2136
    std::string base_url;  // the API's base; empty when the installer must give it (generic dyndns2)
    std::string hostname_suffix;  // names must end so (".duckdns.org"); empty: any full name
    std::string username_label;   // what the provider calls the user; empty: none is needed
    std::string secret_label;     // "password", "token", "TSIG key (base64)"
    std::vector<std::string> notes;
};

// A phone app the customer can watch the site with, for the hand-off sheet.
struct PhoneAppProfile {
    std::string id;  // the file name without .json
    std::string name;
    std::vector<std::string> platforms;  // Android, iOS
    std::string opens;                   // rtsp (a camera's RTSP URL), onvif (its ONVIF URL), vendor (the vendor's own ports)
    std::vector<std::string> vendors;    // vendor names from vendors/ the app is for; empty: any device
    std::vector<std::string> steps;      // how the customer adds the site; {host} stands for the site's name
};

struct Profiles {
    std::vector<VendorProfile> vendors;
    std::vector<RouterProfile> routers;  // sorted by id; always holds "generic"
    std::vector<DdnsProviderProfile> ddns_providers;  // sorted by id
    std::vector<PhoneAppProfile> phone_apps;          // sorted by id

    const VendorProfile* vendor_of(const std::string& manufacturer) const;
    // By the MAC's maker prefix, before anyone has logged in to the device to ask its name.
    const VendorProfile* vendor_by_mac(const std::string& mac) const;
    const RouterProfile* router(const std::string& id) const;
    const DdnsProviderProfile* ddns_provider(const std::string& id) const;

    // Every DNS-SD service type to browse, once each.
    std::vector<MdnsServiceProfile> mdns_services() const;
};

// The folder: $SITELINK_PROFILES, else the one Sitelink was built or installed with.
std::string profiles_dir();
// Loads and validates every profile below dir; the error names the file and the offending key.
Result<Profiles> load_profiles(const std::string& dir);

}  // namespace sitelink
