// The data in profiles/: loaded and validated once, then read by the stages.
#pragma once
#include <map>
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

struct VendorProfile {
    std::string vendor;
    std::vector<std::string> manufacturer_names;
    std::vector<std::string> mac_prefixes;
    std::vector<MdnsServiceProfile> mdns;
};

struct Profiles {
    std::vector<VendorProfile> vendors;

    // Every DNS-SD service type to browse, once each.
    std::vector<MdnsServiceProfile> mdns_services() const;
};

// The folder: $SITELINK_PROFILES, else the one Sitelink was built or installed with.
std::string profiles_dir();
// Loads and validates every profile below dir; the error names the file and the offending key.
Result<Profiles> load_profiles(const std::string& dir);

}  // namespace sitelink
