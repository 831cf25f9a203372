#include "device.h"

#include <algorithm>
#include <set>

#include "snapshot_image.h"

namespace simcam {

std::string url_encode(const std::string& text) {
    static const char kHex[] = "0123456789ABCDEF";
    std::string out;
    for (unsigned char c : text) {
        const bool unreserved = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
                                c == '-' || c == '.' || c == '_' || c == '~';
        if (unreserved) {
            out += static_cast<char>(c);
        } else {
            out += '%';
            out += kHex[c >> 4];
            out += kHex[c & 0x0f];
        }
    }
    return out;
}

namespace {

std::string make_scopes(const DeviceConfig& config) {
    const std::string base = "onvif://www.onvif.org/";
    return base + "name/" + url_encode(config.name) + " " + base + "hardware/" + url_encode(config.model) + " " +
           base + "location/" + url_encode(config.location) + " " + base + "MacAddress/" + url_encode(config.mac) +
           " " + base + "SerialNumber/" + url_encode(config.serial) + " " + base + "Profile/Streaming " + base +
           "type/video_encoder";
}

std::string make_realm(const DeviceConfig& config) {
    std::string realm = config.manufacturer + "_" + config.serial;
    // A quote or backslash would break the WWW-Authenticate header's quoted string.
    std::replace_if(realm.begin(), realm.end(), [](char c) { return c == '"' || c == '\\'; }, '_');
    return realm;
}

std::vector<std::string> make_snapshots(const DeviceConfig& config) {
    std::vector<std::string> images;
    for (std::size_t i = 0; i < config.profiles.size(); ++i) images.push_back(render_snapshot(config, i));
    return images;
}

}  // namespace

Device::Device(std::size_t index, DeviceConfig config, unsigned boot_instance)
    : index_(index),
      config_(std::move(config)),
      realm_(make_realm(config_)),
      fixed_scopes_(make_scopes(config_)),
      snapshots_(make_snapshots(config_)),
      instance_id_(boot_instance) {
    network_.ipv4 = Ipv4Assignment{*parse_ipv4(config_.address), config_.prefix};
    network_.dhcp = config_.dhcp;
    network_.gateways = config_.gateway;
    network_.dns = config_.dns;
    network_.protocols = config_.protocols;
    users_ = config_.users;
    for (Service service : {Service::Onvif, Service::Rtsp, Service::Https}) listeners_.push_back(Listener{service});
    listeners_.resize(listeners_.size() + config_.app_ports.size(), Listener{Service::App});
}

NetworkSettings Device::network() const {
    std::lock_guard lock(mutex_);
    return network_;
}

in_addr Device::address() const {
    std::lock_guard lock(mutex_);
    return network_.ipv4.address;
}

std::string Device::host_part_locked() const {
    std::string host = format_ipv4(network_.ipv4.address);
    if (config_.port != 80) host += ":" + std::to_string(config_.port);
    return host;
}

std::string Device::http_base() const {
    std::lock_guard lock(mutex_);
    return "http://" + host_part_locked();
}

const std::string* Device::snapshot_at(std::string_view path) const {
    for (std::size_t i = 0; i < config_.profiles.size(); ++i)
        if (config_.profiles[i].snapshot_path == path) return &snapshots_[i];
    return nullptr;
}

std::string Device::device_xaddr() const { return http_base() + "/onvif/device_service"; }
std::string Device::media_xaddr() const { return http_base() + "/onvif/media_service"; }

std::string Device::rtsp_base() const {
    std::lock_guard lock(mutex_);
    const int port = network_.protocols.rtsp.port != 0 ? network_.protocols.rtsp.port : 554;
    return "rtsp://" + format_ipv4(network_.ipv4.address) + ":" + std::to_string(port);
}

bool Device::is_silent() const {
    std::lock_guard lock(mutex_);
    return silent_;
}

std::vector<UserAccount> Device::users() const {
    std::lock_guard lock(mutex_);
    return users_;
}

std::optional<UserAccount> Device::find_user(const std::string& username) const {
    std::lock_guard lock(mutex_);
    for (const auto& user : users_)
        if (user.username == username) return user;
    return std::nullopt;
}

std::optional<std::string> Device::add_users(const std::vector<UserAccount>& users) {
    std::lock_guard lock(mutex_);
    std::set<std::string> names;
    for (const auto& user : users_) names.insert(user.username);
    for (const auto& user : users)
        if (!names.insert(user.username).second) return user.username;
    users_.insert(users_.end(), users.begin(), users.end());
    return std::nullopt;
}

std::optional<std::string> Device::remove_users(const std::vector<std::string>& usernames) {
    std::lock_guard lock(mutex_);
    for (const auto& name : usernames)
        if (std::none_of(users_.begin(), users_.end(), [&](const UserAccount& u) { return u.username == name; })) return name;
    std::erase_if(users_, [&](const UserAccount& u) {
        return std::find(usernames.begin(), usernames.end(), u.username) != usernames.end();
    });
    return std::nullopt;
}

void Device::set_gateways(std::vector<std::string> gateways) {
    std::lock_guard lock(mutex_);
    network_.gateways = std::move(gateways);
}

void Device::set_dns(bool from_dhcp, std::vector<std::string> servers, std::vector<std::string> search_domains) {
    std::lock_guard lock(mutex_);
    network_.dns_from_dhcp = from_dhcp;
    network_.dns = std::move(servers);
    network_.search_domains = std::move(search_domains);
}

void Device::set_protocols(NetworkProtocols protocols) {
    std::lock_guard lock(mutex_);
    network_.protocols = protocols;
}

void Device::set_dhcp(bool dhcp) {
    std::lock_guard lock(mutex_);
    network_.dhcp = dhcp;
}

void Device::set_pending_address(Ipv4Assignment assignment) {
    std::lock_guard lock(mutex_);
    pending_address_ = assignment;
}

std::optional<Ipv4Assignment> Device::take_pending_address() {
    std::lock_guard lock(mutex_);
    auto pending = pending_address_;
    pending_address_.reset();
    return pending;
}

void Device::commit_address(Ipv4Assignment assignment) {
    std::lock_guard lock(mutex_);
    network_.ipv4 = assignment;
    network_.dhcp = false;
    ++metadata_version_;
}

void Device::begin_reboot() {
    std::lock_guard lock(mutex_);
    silent_ = true;
}

void Device::end_reboot() {
    std::lock_guard lock(mutex_);
    silent_ = false;
    ++instance_id_;
    message_number_ = 0;
}

DiscoveryRecord Device::discovery_record() {
    std::lock_guard lock(mutex_);
    DiscoveryRecord record;
    record.endpoint = config_.endpoint;
    record.scopes = fixed_scopes_;
    record.xaddrs = "http://" + host_part_locked() + "/onvif/device_service";
    record.metadata_version = metadata_version_;
    record.instance_id = instance_id_;
    record.message_number = ++message_number_;
    record.address = network_.ipv4.address;
    return record;
}

}  // namespace simcam
