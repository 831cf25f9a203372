// The still image a simulated camera serves at each profile's snapshot_path: a small JPEG made
// with libjpeg-turbo once at start-up, so a browser showing thumbnails can tell the cameras and
// their channels apart. The picture's colour comes from the device's MAC and serial number, and
// the channel (profile number) changes its shade, its stripes and a row of markers.
#pragma once

#include <cstddef>
#include <string>

#include "config.h"

namespace simcam {

inline constexpr int kSnapshotWidth = 320;

// A baseline JPEG, kSnapshotWidth wide with the profile's aspect ratio (320x180 for 16:9), for
// config.profiles[profile_index]. Same input, same bytes. Throws std::runtime_error if libjpeg fails.
std::string render_snapshot(const DeviceConfig& config, std::size_t profile_index);

}  // namespace simcam
