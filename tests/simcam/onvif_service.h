// The ONVIF Device and Media services of one simulated camera, built on gSOAP's generated
// DeviceBindingService and MediaBindingService skeletons, and the loop that serves one accepted
// HTTP connection with them (requests go to the Device service first, then to Media). The same
// connection answers an HTTP GET of a profile's snapshot_path with the profile's JPEG
// (snapshot_image.h), behind the device's HTTP Digest (auth.h).
#pragma once

#include <chrono>
#include <string>

#include "device.h"

namespace simcam {

// What a device's ONVIF service needs from the process that hosts it: the actions that outlive
// the HTTP exchange and must run on the event loop.
class DeviceHost {
  public:
    virtual ~DeviceHost() = default;
    // Moves the device to a new address after `delay` (SetNetworkInterfaces without reboot).
    virtual void change_address_later(Device& device, Ipv4Assignment assignment, std::chrono::milliseconds delay) = 0;
    // SystemReboot: the device goes silent, applies pending changes, comes back and says Hello.
    virtual void reboot(Device& device) = 0;
    // SetNetworkProtocols stored new settings: the RTSP and HTTPS listeners follow them.
    virtual void protocols_changed(Device& device) = 0;
    // Sleeps for `duration` unless the simulator is shutting down (fault slow_ms).
    virtual void pause(std::chrono::milliseconds duration) = 0;
};

// Serves requests on an accepted, blocking socket until the client or an error closes it.
// Takes ownership of fd. Runs on a worker thread.
void serve_connection(int fd, Device& device, DeviceHost& host, const std::string& peer);

}  // namespace simcam
