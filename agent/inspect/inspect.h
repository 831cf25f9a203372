// Stage 2 of the flow: read what a device is, over ONVIF, with the installer's credentials.
// Entry point: inspect(). Model, MAC, network settings, clock, auth method and media streams.
#pragma once
#include <chrono>
#include <optional>
#include <string>

#include "core/device.h"
#include "core/error.h"
#include "onvif_client/session.h"

namespace sitelink::inspect {

struct InspectRequest {
    std::string target;  // an address ("192.168.1.20", "192.168.1.20:8080") or a device service URL
    std::optional<onvif_client::Credentials> credentials;
    std::chrono::milliseconds timeout{5000};  // for each call
};

// "192.168.1.20" -> "http://192.168.1.20/onvif/device_service"; URLs are kept as given.
Result<std::string> device_service_url(const std::string& target);

// Fails only when the device cannot be identified at all (unreachable, not ONVIF, credentials
// refused). Reads that fail after that become warnings in the report.
Result<DeviceReport> inspect(const InspectRequest& request);

}  // namespace sitelink::inspect
