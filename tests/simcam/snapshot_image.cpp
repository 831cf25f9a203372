#include "snapshot_image.h"

// jpeglib.h needs size_t and FILE declared first.
#include <cstdio>
#include <cstdlib>

#include <jpeglib.h>

#include <algorithm>
#include <cmath>
#include <csetjmp>
#include <cstdint>
#include <stdexcept>
#include <vector>

namespace simcam {

namespace {

constexpr int kQuality = 80;
constexpr int kMinHeight = 16;
constexpr int kMaxHeight = 2 * kSnapshotWidth;
constexpr int kBandHeight = 20;   // top band in the device's own colour, the same on every channel
constexpr int kMarkerSize = 14;   // one white square per channel number, bottom left
constexpr int kMarkerGap = 6;
constexpr int kMaxMarkers = 12;

struct Rgb {
    std::uint8_t r = 0, g = 0, b = 0;
};

// FNV-1a, then SplitMix64's finalizer: FNV alone leaves the low bits of similar texts (serials
// that differ in one digit) too alike.
std::uint64_t identity_hash(const std::string& text) {
    std::uint64_t hash = 0xcbf29ce484222325ULL;
    for (unsigned char c : text) {
        hash ^= c;
        hash *= 0x100000001b3ULL;
    }
    hash = (hash ^ (hash >> 30)) * 0xbf58476d1ce4e5b9ULL;
    hash = (hash ^ (hash >> 27)) * 0x94d049bb133111ebULL;
    return hash ^ (hash >> 31);
}

// hue in degrees, saturation and value in [0, 1].
Rgb from_hsv(double hue, double saturation, double value) {
    hue = std::fmod(hue, 360.0);
    if (hue < 0) hue += 360.0;
    const double chroma = value * saturation;
    const double x = chroma * (1 - std::fabs(std::fmod(hue / 60.0, 2.0) - 1));
    const double m = value - chroma;
    double r = 0, g = 0, b = 0;
    switch (static_cast<int>(hue / 60.0)) {
        case 0: r = chroma, g = x; break;
        case 1: r = x, g = chroma; break;
        case 2: g = chroma, b = x; break;
        case 3: g = x, b = chroma; break;
        case 4: r = x, b = chroma; break;
        default: r = chroma, b = x; break;
    }
    const auto byte = [m](double channel) {
        return static_cast<std::uint8_t>(std::clamp(std::lround((channel + m) * 255.0), 0L, 255L));
    };
    return {byte(r), byte(g), byte(b)};
}

Rgb scaled(Rgb colour, double factor) {
    const auto byte = [factor](std::uint8_t channel) {
        return static_cast<std::uint8_t>(std::clamp(std::lround(channel * factor), 0L, 255L));
    };
    return {byte(colour.r), byte(colour.g), byte(colour.b)};
}

Rgb lightened(Rgb colour, double amount) {
    const auto byte = [amount](std::uint8_t channel) {
        return static_cast<std::uint8_t>(std::lround(channel + (255 - channel) * amount));
    };
    return {byte(colour.r), byte(colour.g), byte(colour.b)};
}

// libjpeg reports fatal errors through error_exit, which must not return: jump back to encode().
struct ErrorManager {
    jpeg_error_mgr base;
    std::jmp_buf escape;
    char message[JMSG_LENGTH_MAX];
};

void on_error(j_common_ptr info) {
    auto* errors = reinterpret_cast<ErrorManager*>(info->err);
    (*info->err->format_message)(info, errors->message);
    std::longjmp(errors->escape, 1);
}

// Plain C between setjmp and longjmp: nothing here has a destructor to skip. The caller frees *out.
bool encode(const std::uint8_t* pixels, int width, int height, unsigned char** out, unsigned long* size,
            char* message) {
    jpeg_compress_struct info;
    ErrorManager errors;
    info.err = jpeg_std_error(&errors.base);
    errors.base.error_exit = on_error;
    if (setjmp(errors.escape)) {
        jpeg_destroy_compress(&info);
        std::snprintf(message, JMSG_LENGTH_MAX, "%s", errors.message);
        return false;
    }
    jpeg_create_compress(&info);
    jpeg_mem_dest(&info, out, size);
    info.image_width = static_cast<JDIMENSION>(width);
    info.image_height = static_cast<JDIMENSION>(height);
    info.input_components = 3;
    info.in_color_space = JCS_RGB;
    jpeg_set_defaults(&info);
    jpeg_set_quality(&info, kQuality, TRUE);
    jpeg_start_compress(&info, TRUE);
    while (info.next_scanline < info.image_height) {
        JSAMPROW row = const_cast<JSAMPROW>(pixels + static_cast<std::size_t>(info.next_scanline) * width * 3);
        jpeg_write_scanlines(&info, &row, 1);
    }
    jpeg_finish_compress(&info);
    jpeg_destroy_compress(&info);
    return true;
}

}  // namespace

std::string render_snapshot(const DeviceConfig& config, std::size_t profile_index) {
    const MediaProfile& profile = config.profiles.at(profile_index);
    const int width = kSnapshotWidth;
    const int height = std::clamp(static_cast<int>(std::lround(static_cast<double>(width) * profile.height /
                                                               std::max(profile.width, 1))),
                                  kMinHeight, kMaxHeight);
    const int channel = static_cast<int>(profile_index) + 1;

    const std::uint64_t identity = identity_hash(config.mac + "/" + config.serial);
    const double device_hue = static_cast<double>((identity >> 32) % 360);
    const double saturation = 0.5 + static_cast<double>((identity >> 16) % 40) / 100;  // 0.5 .. 0.89
    const Rgb device_colour = from_hsv(device_hue, saturation, 0.9);
    // Each channel turns the hue a little further and has stripes of its own width and direction.
    const Rgb base = from_hsv(device_hue + 37.0 * (channel - 1), saturation - 0.15, 0.85 - 0.08 * ((channel - 1) % 4));
    const int stripe_period = 12 + 6 * ((channel - 1) % 4);
    const int stripe_phase = static_cast<int>(identity % 64);  // shifts the stripes per device
    const int direction = channel % 2 == 1 ? 1 : -1;

    std::vector<std::uint8_t> pixels(static_cast<std::size_t>(width) * height * 3);
    const auto put = [&](int x, int y, Rgb colour) {
        std::uint8_t* pixel = &pixels[(static_cast<std::size_t>(y) * width + x) * 3];
        pixel[0] = colour.r;
        pixel[1] = colour.g;
        pixel[2] = colour.b;
    };
    for (int y = 0; y < height; ++y) {
        const Rgb row = scaled(base, 1.0 - 0.35 * y / height);  // darker towards the bottom
        const Rgb stripe = lightened(row, 0.2);
        for (int x = 0; x < width; ++x) {
            const int diagonal = x + direction * y + height + stripe_phase;  // >= 0
            put(x, y, (diagonal / stripe_period) % 2 == 0 ? stripe : row);
        }
    }
    for (int y = 0; y < std::min(kBandHeight, height); ++y)
        for (int x = 0; x < width; ++x) put(x, y, device_colour);
    const int markers = std::min(channel, kMaxMarkers);
    const int marker_top = height - kMarkerGap - kMarkerSize;
    for (int i = 0; i < markers && marker_top >= 0; ++i) {
        const int left = kMarkerGap + i * (kMarkerSize + kMarkerGap);
        for (int y = marker_top; y < marker_top + kMarkerSize; ++y)
            for (int x = left; x < std::min(left + kMarkerSize, width); ++x) put(x, y, Rgb{255, 255, 255});
    }

    unsigned char* buffer = nullptr;
    unsigned long size = 0;
    char message[JMSG_LENGTH_MAX] = {};
    const bool encoded = encode(pixels.data(), width, height, &buffer, &size, message);
    std::string jpeg = encoded ? std::string(reinterpret_cast<const char*>(buffer), size) : std::string();
    std::free(buffer);
    if (!encoded) throw std::runtime_error(std::string("libjpeg: ") + message);
    return jpeg;
}

}  // namespace simcam
