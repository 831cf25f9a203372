#include "fake_igd.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cstring>
#include <stdexcept>

namespace sitelink::faults {

namespace {

constexpr const char* kService = "urn:schemas-upnp-org:service:WANIPConnection:1";
constexpr const char* kControlPath = "/ctl/IPConn";
constexpr const char* kDescriptionPath = "/rootDesc.xml";
constexpr std::size_t kHugeBody = 8 * 1024 * 1024;

std::string description_xml() {
    return std::string(R"(<?xml version="1.0"?>
<root xmlns="urn:schemas-upnp-org:device-1-0">
<specVersion><major>1</major><minor>0</minor></specVersion>
<device>
<deviceType>urn:schemas-upnp-org:device:InternetGatewayDevice:1</deviceType>
<friendlyName>Fault Router</friendlyName>
<manufacturer>Sitelink tests</manufacturer>
<modelName>FakeIGD</modelName>
<modelNumber>1</modelNumber>
<deviceList><device>
<deviceType>urn:schemas-upnp-org:device:WANDevice:1</deviceType>
<serviceList><service>
<serviceType>urn:schemas-upnp-org:service:WANCommonInterfaceConfig:1</serviceType>
<serviceId>urn:upnp-org:serviceId:WANCommonIFC1</serviceId>
<controlURL>/ctl/CmnIfCfg</controlURL><eventSubURL>/evt/CmnIfCfg</eventSubURL><SCPDURL>/WANCfg.xml</SCPDURL>
</service></serviceList>
<deviceList><device>
<deviceType>urn:schemas-upnp-org:device:WANConnectionDevice:1</deviceType>
<serviceList><service>
<serviceType>)") + kService + R"(</serviceType>
<serviceId>urn:upnp-org:serviceId:WANIPConn1</serviceId>
<controlURL>)" + kControlPath + R"(</controlURL><eventSubURL>/evt/IPConn</eventSubURL><SCPDURL>/WANIPCn.xml</SCPDURL>
</service></serviceList>
</device></deviceList>
</device></deviceList>
</device>
</root>
)";
}

std::string escape(const std::string& text) {
    std::string out;
    for (char c : text) {
        if (c == '&') out += "&amp;";
        else if (c == '<') out += "&lt;";
        else if (c == '>') out += "&gt;";
        else out += c;
    }
    return out;
}

std::string envelope(const std::string& body) {
    return R"(<?xml version="1.0"?>)"
           R"(<s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/" s:encodingStyle="http://schemas.xmlsoap.org/soap/encoding/">)"
           "<s:Body>" + body + "</s:Body></s:Envelope>\r\n";
}

std::string response(const std::string& action, const std::string& values) {
    return envelope("<u:" + action + "Response xmlns:u=\"" + kService + "\">" + values + "</u:" + action + "Response>");
}

std::string upnp_text(int code) {
    switch (code) {
        case 401: return "Invalid Action";
        case 501: return "Action Failed";
        case 606: return "Action not authorized";
        case 713: return "SpecifiedArrayIndexInvalid";
        case 714: return "NoSuchEntryInArray";
        case 718: return "ConflictInMappingEntry";
        case 725: return "OnlyPermanentLeasesSupported";
        default: return "Error";
    }
}

std::pair<int, std::string> fault(int code) {
    return {500, envelope("<s:Fault><faultcode>s:Client</faultcode><faultstring>UPnPError</faultstring><detail>"
                          "<UPnPError xmlns=\"urn:schemas-upnp-org:control-1-0\"><errorCode>" +
                          std::to_string(code) + "</errorCode><errorDescription>" + upnp_text(code) +
                          "</errorDescription></UPnPError></detail></s:Fault>")};
}

// The value of an unprefixed argument element, as miniupnpc writes them.
std::string argument(const std::string& body, const std::string& name) {
    const auto open = body.find("<" + name + ">");
    if (open == std::string::npos) return "";
    const auto start = open + name.size() + 2;
    const auto close = body.find("</" + name + ">", start);
    return close == std::string::npos ? "" : body.substr(start, close - start);
}

int number(const std::string& text) {
    try {
        return std::stoi(text);
    } catch (const std::exception&) {
        return -1;
    }
}

std::string entry_values(const router::PortMapping& m, bool with_key) {
    std::string values;
    if (with_key)
        values += "<NewRemoteHost></NewRemoteHost><NewExternalPort>" + std::to_string(m.external_port) + "</NewExternalPort><NewProtocol>" +
                  m.protocol + "</NewProtocol>";
    return values + "<NewInternalPort>" + std::to_string(m.internal_port) + "</NewInternalPort><NewInternalClient>" +
           m.internal_client + "</NewInternalClient><NewEnabled>" + (m.enabled ? "1" : "0") +
           "</NewEnabled><NewPortMappingDescription>" + escape(m.description) + "</NewPortMappingDescription><NewLeaseDuration>" +
           std::to_string(m.lease_s) + "</NewLeaseDuration>";
}

std::string http_head(int status, std::size_t length) {
    const char* reason = status == 200 ? "OK" : status == 500 ? "Internal Server Error" : "Not Found";
    return "HTTP/1.1 " + std::to_string(status) + " " + reason + "\r\nContent-Type: text/xml; charset=\"utf-8\"\r\nContent-Length: " +
           std::to_string(length) + "\r\nConnection: close\r\n\r\n";
}

void send_all(int fd, const std::string& data) {
    std::size_t sent = 0;
    while (sent < data.size()) {
        const ssize_t n = ::send(fd, data.data() + sent, data.size() - sent, MSG_NOSIGNAL);
        if (n <= 0) return;  // the client gave up: nothing more to say
        sent += static_cast<std::size_t>(n);
    }
}

}  // namespace

struct FakeIgd::Request {
    std::string action;
    std::string body;
};

FakeIgd::FakeIgd() {
    listen_fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t length = sizeof address;
    if (listen_fd_ < 0 || ::bind(listen_fd_, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0 ||
        ::listen(listen_fd_, 16) != 0 || ::getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&address), &length) != 0 ||
        ::pipe2(stop_pipe_, O_CLOEXEC) != 0)
        throw std::runtime_error(std::string("fake IGD: ") + std::strerror(errno));
    port_ = ntohs(address.sin_port);
    acceptor_ = std::thread([this] { serve(); });
}

FakeIgd::~FakeIgd() {
    stopping_ = true;
    const char wake = 0;
    (void)!::write(stop_pipe_[1], &wake, 1);  // never read: every poll on it stays readable
    {
        std::lock_guard lock(mutex_);
        for (int fd : open_fds_) ::shutdown(fd, SHUT_RDWR);
    }
    acceptor_.join();
    for (auto& t : connections_) t.join();
    ::close(listen_fd_);
    ::close(stop_pipe_[0]);
    ::close(stop_pipe_[1]);
}

void FakeIgd::script(const std::string& action, IgdFault fault, int upnp_code, int times, int pass) {
    std::lock_guard lock(mutex_);
    scripts_[action] = {fault, upnp_code, times, pass};
}

std::string FakeIgd::description_url() const { return "http://127.0.0.1:" + std::to_string(port_) + kDescriptionPath; }

std::vector<router::PortMapping> FakeIgd::mappings() const {
    std::lock_guard lock(mutex_);
    return table_;
}

int FakeIgd::count(const std::string& action) const {
    std::lock_guard lock(mutex_);
    return static_cast<int>(std::count(requests_.begin(), requests_.end(), action));
}

void FakeIgd::serve() {
    while (!stopping_) {
        pollfd waits[2] = {{listen_fd_, POLLIN, 0}, {stop_pipe_[0], POLLIN, 0}};
        if (::poll(waits, 2, -1) < 0 || (waits[1].revents & POLLIN) != 0) return;
        const int fd = ::accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC);
        if (fd < 0) continue;
        std::lock_guard lock(mutex_);
        open_fds_.push_back(fd);
        connections_.emplace_back([this, fd] { handle(fd); });
    }
}

std::optional<FakeIgd::Script> FakeIgd::take_script(const std::string& action) {
    std::lock_guard lock(mutex_);
    requests_.push_back(action);
    const auto found = scripts_.find(action);
    if (found == scripts_.end()) return std::nullopt;
    Script& s = found->second;
    if (s.pass > 0) {
        --s.pass;
        return std::nullopt;
    }
    const Script taken = s;
    if (--s.times == 0) scripts_.erase(found);
    return taken;
}

void FakeIgd::wait_for_hangup(int fd) const {
    char discard[512];
    for (;;) {
        pollfd waits[2] = {{fd, POLLIN, 0}, {stop_pipe_[0], POLLIN, 0}};
        if (::poll(waits, 2, -1) < 0 || (waits[1].revents & POLLIN) != 0) return;
        if (::recv(fd, discard, sizeof discard, 0) <= 0) return;
    }
}

void FakeIgd::handle(int fd) {
    // One request per connection, as miniupnpc sends them ("Connection: close").
    std::string data;
    std::optional<Request> request;
    char chunk[4096];
    while (!request) {
        pollfd waits[2] = {{fd, POLLIN, 0}, {stop_pipe_[0], POLLIN, 0}};
        if (::poll(waits, 2, -1) < 0 || (waits[1].revents & POLLIN) != 0) break;
        const ssize_t n = ::recv(fd, chunk, sizeof chunk, 0);
        if (n <= 0) break;
        data.append(chunk, static_cast<std::size_t>(n));
        const auto head_end = data.find("\r\n\r\n");
        if (head_end == std::string::npos) continue;
        std::string head = data.substr(0, head_end);
        std::transform(head.begin(), head.end(), head.begin(), [](unsigned char c) { return std::tolower(c); });
        const auto length_at = head.find("content-length:");
        const std::size_t length = length_at == std::string::npos ? 0 : std::stoul(head.substr(length_at + 15));
        if (data.size() < head_end + 4 + length) continue;
        Request r{"", data.substr(head_end + 4, length)};
        if (head.rfind("get ", 0) == 0) {
            r.action = "description";
        } else {
            const auto soap_action = head.find("soapaction:");
            const auto hash = soap_action == std::string::npos ? std::string::npos : head.find('#', soap_action);
            const auto end = head.find_first_of("\"\r\n", hash);
            // From the original text, which keeps its case.
            r.action = hash == std::string::npos ? "unknown" : data.substr(hash + 1, end - hash - 1);
        }
        request = r;
    }

    if (request) {
        const auto scripted = take_script(request->action);
        if (!scripted) {
            const auto [status, body] = perform(request->action, request->body);
            send_all(fd, http_head(status, body.size()) + body);
        } else {
            switch (scripted->fault) {
                case IgdFault::Refuse: {
                    const auto [status, body] = fault(scripted->upnp_code);
                    send_all(fd, http_head(status, body.size()) + body);
                    break;
                }
                case IgdFault::CloseWithoutAnswer: break;
                case IgdFault::ApplyThenClose: perform(request->action, request->body); break;
                case IgdFault::CloseMidAnswer: {
                    const auto [status, body] = perform(request->action, request->body);
                    send_all(fd, http_head(status, body.size()) + body.substr(0, body.size() / 2));
                    break;
                }
                case IgdFault::Hang: wait_for_hangup(fd); break;
                case IgdFault::Garbage: {
                    const std::string body = "\x01\x02<<this is not &amp XML>>\xff\xfe</oops>";
                    send_all(fd, http_head(200, body.size()) + body);
                    break;
                }
                case IgdFault::HugeBody: send_all(fd, http_head(200, kHugeBody) + std::string(kHugeBody, 'A')); break;
            }
        }
    }
    std::lock_guard lock(mutex_);
    open_fds_.erase(std::remove(open_fds_.begin(), open_fds_.end(), fd), open_fds_.end());
    ::close(fd);
}

std::pair<int, std::string> FakeIgd::perform(const std::string& action, const std::string& body) {
    std::lock_guard lock(mutex_);
    if (action == "description") return {200, description_xml()};
    if (action == "GetStatusInfo")
        return {200, response(action, "<NewConnectionStatus>Connected</NewConnectionStatus><NewLastConnectionError>ERROR_NONE"
                                      "</NewLastConnectionError><NewUptime>1000</NewUptime>")};
    if (action == "GetExternalIPAddress")
        return {200, response(action, std::string("<NewExternalIPAddress>") + kExternalAddress + "</NewExternalIPAddress>")};

    const int port = number(argument(body, "NewExternalPort"));
    const std::string protocol = argument(body, "NewProtocol");
    const auto at = std::find_if(table_.begin(), table_.end(),
                                 [&](const router::PortMapping& m) { return m.external_port == port && m.protocol == protocol; });
    if (action == "GetSpecificPortMappingEntry") {
        if (at == table_.end()) return fault(714);
        return {200, response(action, entry_values(*at, false))};
    }
    if (action == "GetGenericPortMappingEntry") {
        const int index = number(argument(body, "NewPortMappingIndex"));
        if (index < 0 || index >= static_cast<int>(table_.size())) return fault(713);
        return {200, response(action, entry_values(table_[static_cast<std::size_t>(index)], true))};
    }
    if (action == "AddPortMapping") {
        const router::PortMapping wanted{protocol, port, argument(body, "NewInternalClient"), number(argument(body, "NewInternalPort")),
                                         argument(body, "NewPortMappingDescription"), argument(body, "NewEnabled") != "0",
                                         number(argument(body, "NewLeaseDuration"))};
        if (at != table_.end() && at->internal_client != wanted.internal_client) return fault(718);
        if (at != table_.end()) *at = wanted;
        else table_.push_back(wanted);
        return {200, response(action, "")};
    }
    if (action == "DeletePortMapping") {
        if (at == table_.end()) return fault(714);
        table_.erase(at);
        return {200, response(action, "")};
    }
    return fault(401);
}

}  // namespace sitelink::faults
