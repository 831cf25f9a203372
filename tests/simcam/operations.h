// The ONVIF operations simcam serves (and the snapshot GET) and the access class each belongs to
// (ONVIF Core, "Access classes for service requests"). The access class decides which user levels
// may call it.
#pragma once

#include <string_view>

namespace simcam {

enum class AccessClass {
    PreAuth,  // no authentication (GetSystemDateAndTime, GetCapabilities, GetServices)
    Read,     // any authenticated user: Administrator, Operator, User
    Admin,    // Administrator only: secrets (GetUsers), writes, reboot
};

struct OperationInfo {
    std::string_view name;
    AccessClass access;
};

inline constexpr OperationInfo kOperations[] = {
    {"GetSystemDateAndTime", AccessClass::PreAuth},
    {"GetCapabilities", AccessClass::PreAuth},
    {"GetServices", AccessClass::PreAuth},
    {"GetDeviceInformation", AccessClass::Read},
    {"GetNetworkInterfaces", AccessClass::Read},
    {"GetNetworkDefaultGateway", AccessClass::Read},
    {"GetDNS", AccessClass::Read},
    {"GetNetworkProtocols", AccessClass::Read},
    {"GetProfiles", AccessClass::Read},
    {"GetStreamUri", AccessClass::Read},
    {"GetSnapshotUri", AccessClass::Read},
    {"GetUsers", AccessClass::Admin},
    {"SetNetworkInterfaces", AccessClass::Admin},
    {"SetNetworkDefaultGateway", AccessClass::Admin},
    {"SetDNS", AccessClass::Admin},
    {"SetNetworkProtocols", AccessClass::Admin},
    {"CreateUsers", AccessClass::Admin},
    {"DeleteUsers", AccessClass::Admin},
    {"SystemReboot", AccessClass::Admin},
    // Not SOAP: an HTTP GET of a profile's snapshot_path (the URI GetSnapshotUri gives). Listed
    // for its access class and so that fault switches can name it.
    {"Snapshot", AccessClass::Read},
};

constexpr bool is_known_operation(std::string_view name) {
    for (const auto& operation : kOperations)
        if (operation.name == name) return true;
    return false;
}

constexpr AccessClass access_class_of(std::string_view name) {
    for (const auto& operation : kOperations)
        if (operation.name == name) return operation.access;
    return AccessClass::Admin;  // unknown: the strictest
}

}  // namespace simcam
