// QR codes: libqrencode makes the module matrix; it is drawn as SVG (for the sheet and the wizard)
// and as PNG through libpng (for the bundle), each with the 4-module quiet zone scanners need.
#include <png.h>
#include <qrencode.h>

#include <cerrno>
#include <cstring>
#include <memory>
#include <sstream>

#include "handoff/handoff.h"

namespace sitelink::handoff {

namespace {
constexpr int kQuietZone = 4;
}  // namespace

Result<QrCode> make_qr(const std::string& name, const std::string& payload) {
    // Level M: survives a scuffed or badly lit print, while a site code with a sealed password
    // still fits a size a phone reads from paper.
    std::unique_ptr<QRcode, decltype(&QRcode_free)> code(QRcode_encodeData(static_cast<int>(payload.size()),
                                                                            reinterpret_cast<const unsigned char*>(payload.data()), 0,
                                                                            QR_ECLEVEL_M),
                                                         QRcode_free);
    if (!code)
        return Error{ErrorCode::Usage, name, std::string("cannot make a QR code of ") + std::to_string(payload.size()) +
                                                 " bytes: " + std::strerror(errno), ""};
    QrCode qr{name, payload, std::vector<std::vector<bool>>(code->width, std::vector<bool>(code->width))};
    for (int y = 0; y < code->width; ++y)
        for (int x = 0; x < code->width; ++x) qr.modules[y][x] = code->data[y * code->width + x] & 1;
    return qr;
}

std::string qr_svg(const QrCode& qr, int module_px) {
    const int size = static_cast<int>(qr.modules.size()) + 2 * kQuietZone;
    std::ostringstream out;
    out << "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 " << size << " " << size << "\" width=\"" << size * module_px
        << "\" height=\"" << size * module_px << "\" shape-rendering=\"crispEdges\" role=\"img\"><rect width=\"" << size
        << "\" height=\"" << size << "\" fill=\"#fff\"/><path fill=\"#000\" d=\"";
    for (std::size_t y = 0; y < qr.modules.size(); ++y)
        for (std::size_t x = 0; x < qr.modules[y].size(); ++x)
            if (qr.modules[y][x]) out << "M" << x + kQuietZone << " " << y + kQuietZone << "h1v1h-1z";
    out << "\"/></svg>";
    return out.str();
}

Result<Done> write_qr_png(const QrCode& qr, const std::filesystem::path& path, int module_px) {
    const int modules = static_cast<int>(qr.modules.size()) + 2 * kQuietZone;
    const int side = modules * module_px;
    std::vector<png_byte> pixels(static_cast<std::size_t>(side) * side, 0xff);
    for (std::size_t y = 0; y < qr.modules.size(); ++y)
        for (std::size_t x = 0; x < qr.modules[y].size(); ++x)
            if (qr.modules[y][x])
                for (int dy = 0; dy < module_px; ++dy)
                    std::memset(&pixels[static_cast<std::size_t>((y + kQuietZone) * module_px + dy) * side + (x + kQuietZone) * module_px],
                                0, module_px);
    png_image image{};
    image.version = PNG_IMAGE_VERSION;
    image.width = side;
    image.height = side;
    image.format = PNG_FORMAT_GRAY;
    if (!png_image_write_to_file(&image, path.c_str(), 0, pixels.data(), side, nullptr)) {
        const std::string why = image.message;
        png_image_free(&image);
        return Error{ErrorCode::Precondition, path.string(), "cannot write the QR code image: " + why, ""};
    }
    return Done{};
}

}  // namespace sitelink::handoff
