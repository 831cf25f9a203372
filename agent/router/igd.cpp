#include "router/igd.h"

#include <miniupnpc/miniupnpc.h>
#include <miniupnpc/miniwget.h>
#include <miniupnpc/portlistingparse.h>
#include <miniupnpc/upnpcommands.h>
#include <miniupnpc/upnperrors.h>

#include <cstdlib>
#include <cstring>

namespace sitelink::router {

namespace {

// miniupnpc first asks a local minissdpd, which knows devices on every interface of this machine;
// pointing it at a socket that cannot exist keeps the search on the chosen interface only.
constexpr const char* kNoMinissdpd = "/nonexistent/sitelink-no-minissdpd.sock";
// SSDP multicast hops: the router is on the laptop's own link.
constexpr unsigned char kSsdpTtl = 2;
// A router that keeps answering the index walk is broken; stop there.
constexpr int kMaxMappings = 4096;
// miniupnpc gives up on an answer after 5 s without a byte (getHTTPResponse), and cannot tell a
// refused or dropped connection from silence: its errors say all three.
constexpr const char* kNoAnswer = "the connection was refused or dropped, or nothing came for 5 s";

std::string xml_text(const std::string& xml, const std::string& tag) {
    const auto open = xml.find("<" + tag + ">");
    if (open == std::string::npos) return "";
    const auto start = open + tag.size() + 2;
    const auto close = xml.find("</" + tag + ">", start);
    if (close == std::string::npos) return "";
    std::string text = xml.substr(start, close - start);
    for (const auto& [entity, plain] : {std::pair{"&lt;", "<"}, {"&gt;", ">"}, {"&quot;", "\""}, {"&apos;", "'"}, {"&amp;", "&"}})
        for (auto at = text.find(entity); at != std::string::npos; at = text.find(entity, at + 1))
            text.replace(at, std::strlen(entity), plain);
    return text;
}

bool on_subnet(const NetworkInterface& nic, const std::string& url) {
    const auto host = Ipv4::parse(url_host(url));
    return host && nic.subnet() && nic.subnet()->contains(*host);
}

}  // namespace

struct Igd::State {
    UPNPUrls urls{};
    IGDdatas data{};
    bool has_urls = false;
    ~State() {
        if (has_urls) FreeUPNPUrls(&urls);
    }
};

std::string RouterIdentity::label() const {
    const std::string name = !friendly_name.empty() ? friendly_name : !model.empty() ? model : "router";
    return name + " (" + url_host(control_url) + ")";
}

Igd::Igd(std::unique_ptr<State> state) : state_(std::move(state)) {}
Igd::Igd(Igd&&) noexcept = default;
Igd& Igd::operator=(Igd&&) noexcept = default;
Igd::~Igd() = default;

Result<Igd> Igd::find(const NetworkInterface& nic, const std::optional<std::string>& description_url,
                      std::chrono::milliseconds wait) {
    if (!nic.address) return Error{ErrorCode::NoSuchInterface, nic.name, "has no IPv4 address", ""};
    std::vector<std::string> candidates;
    if (description_url) {
        if (!on_subnet(nic, *description_url))
            return Error{ErrorCode::Usage, *description_url,
                         "is not on " + nic.name + "'s subnet; Sitelink only talks to a router on the chosen interface", ""};
        candidates.push_back(*description_url);
    } else {
        const char* types[] = {"urn:schemas-upnp-org:device:InternetGatewayDevice:2",
                               "urn:schemas-upnp-org:device:InternetGatewayDevice:1", nullptr};
        int error = 0;
        const std::string source = nic.address->str();
        UPNPDev* found = upnpDiscoverDevices(types, static_cast<int>(wait.count()), source.c_str(), kNoMinissdpd,
                                             UPNP_LOCAL_PORT_ANY, 0, kSsdpTtl, &error, 1);
        for (UPNPDev* d = found; d != nullptr; d = d->pNext)
            if (on_subnet(nic, d->descURL)) candidates.push_back(d->descURL);
        freeUPNPDevlist(found);
        if (candidates.empty()) {
            const std::string why = error != 0 ? " (SSDP search failed: error " + std::to_string(error) + ")" : "";
            return Error{ErrorCode::NoRouter, nic.name,
                         "no Internet Gateway Device answered the SSDP search within " + std::to_string(wait.count()) + " ms" + why, ""};
        }
    }
    std::optional<Error> last;
    for (const auto& url : candidates) {
        auto state = std::make_unique<State>();
        char our_address[64] = {0};
        if (UPNP_GetIGDFromUrl(url.c_str(), &state->urls, &state->data, our_address, sizeof our_address) != 1) {
            last = Error{ErrorCode::TimedOut, url, std::string("no UPnP description came from it (") + kNoAnswer + ")", ""};
            continue;
        }
        state->has_urls = true;
        // miniupnpc takes any answer as a description; one without the service is not a router's.
        if (state->data.first.servicetype[0] == '\0') {
            last = Error{ErrorCode::NoRouter, url, "no usable WANIPConnection or WANPPPConnection service in the description", ""};
            continue;
        }
        if (!on_subnet(nic, state->urls.controlURL)) {
            last = Error{ErrorCode::NoRouter, url,
                         std::string("its control URL ") + state->urls.controlURL + " is not on " + nic.name + "'s subnet", ""};
            continue;
        }
        Igd igd(std::move(state));
        RouterIdentity& id = igd.identity_;
        id.description_url = url;
        id.control_url = igd.state_->urls.controlURL;
        id.service_type = igd.state_->data.first.servicetype;
        id.igd_version = id.service_type.find("WANIPConnection:2") != std::string::npos ? 2 : 1;
        id.our_address = our_address;
        int size = 0, status = 0;
        if (char* xml = static_cast<char*>(miniwget(url.c_str(), &size, 0, &status)); xml != nullptr) {
            const std::string description(xml, static_cast<std::size_t>(size));
            std::free(xml);
            id.friendly_name = xml_text(description, "friendlyName");
            id.manufacturer = xml_text(description, "manufacturer");
            id.model = xml_text(description, "modelName");
            if (const auto number = xml_text(description, "modelNumber"); !number.empty() && number != id.model)
                id.model += (id.model.empty() ? "" : " ") + number;
        }
        return igd;
    }
    return *last;
}

int Igd::upnp_code(const Error& error) {
    if (error.protocol_code.rfind("UPnP ", 0) != 0) return 0;
    return std::atoi(error.protocol_code.c_str() + 5);
}

Error Igd::refused(const std::string& action, int code) const {
    const std::string who = identity_.label();
    if (code == UPNPCOMMAND_HTTP_ERROR)
        return Error{ErrorCode::TimedOut, who, action + ": no answer from the router's UPnP service (" + kNoAnswer + ")", ""};
    if (code == UPNPCOMMAND_INVALID_RESPONSE)
        return Error{ErrorCode::MalformedAnswer, who, action + ": the router's answer is not valid UPnP", ""};
    // What miniupnpc returns for an answer that holds neither the result nor a UPnP error code.
    if (code == UPNPCOMMAND_UNKNOWN_ERROR)
        return Error{ErrorCode::MalformedAnswer, who, action + ": the router's answer holds neither a result nor a UPnP error code", ""};
    if (code < 0) return Error{ErrorCode::RouterRefused, who, action + " failed (miniupnpc error " + std::to_string(code) + ")", ""};
    const char* text = strupnperror(code);
    return Error{ErrorCode::RouterRefused, who, action + ": " + (text != nullptr ? text : "error"),
                 "UPnP " + std::to_string(code) + (text != nullptr ? std::string(" ") + text : "")};
}

Result<std::string> Igd::connection_status() {
    char status[64] = {0}, last_error[64] = {0};
    unsigned int uptime = 0;
    const int rc = UPNP_GetStatusInfo(state_->urls.controlURL, state_->data.first.servicetype, status, &uptime, last_error);
    if (rc != UPNPCOMMAND_SUCCESS) return refused("GetStatusInfo", rc);
    return std::string(status);
}

Result<std::string> Igd::external_address() {
    char address[64] = {0};
    const int rc = UPNP_GetExternalIPAddress(state_->urls.controlURL, state_->data.first.servicetype, address);
    if (rc != UPNPCOMMAND_SUCCESS) return refused("GetExternalIPAddress", rc);
    return std::string(address);
}

Result<std::vector<PortMapping>> Igd::mappings() {
    std::vector<PortMapping> out;
    if (identity_.igd_version == 2) {
        bool listed = true;
        for (const char* protocol : {"TCP", "UDP"}) {
            PortMappingParserData list{};
            const int rc = UPNP_GetListOfPortMappings(state_->urls.controlURL, state_->data.first.servicetype, "1", "65535",
                                                      protocol, "1000", &list);
            if (rc == upnp_error::NoSuchEntryInArray) continue;  // none of this protocol
            if (rc != UPNPCOMMAND_SUCCESS) {
                listed = false;
                break;
            }
            for (::PortMapping* m = list.l_head; m != nullptr; m = m->l_next) {
                // miniupnpc's listing parser misses entries written with namespace prefixes and
                // leaves them blank: then the index walk below is the truth.
                if (m->externalPort == 0 || m->internalClient[0] == '\0') listed = false;
                out.push_back({protocol, m->externalPort, m->internalClient, m->internalPort, m->description,
                               m->enabled != 0, static_cast<int>(m->leaseTime)});
            }
            FreePortListing(&list);
            if (!listed) break;
        }
        if (listed) return out;
        out.clear();  // some IGD:2 routers list nothing useful: walk the index instead
    }
    for (int index = 0; index < kMaxMappings; ++index) {
        char external[16] = {0}, client[64] = {0}, internal[16] = {0}, protocol[8] = {0}, description[256] = {0},
             enabled[8] = {0}, remote[64] = {0}, lease[16] = {0};
        const std::string i = std::to_string(index);
        const int rc = UPNP_GetGenericPortMappingEntry(state_->urls.controlURL, state_->data.first.servicetype, i.c_str(),
                                                       external, client, internal, protocol, description, enabled, remote,
                                                       lease);
        if (rc == 713 || rc == upnp_error::NoSuchEntryInArray) break;  // SpecifiedArrayIndexInvalid: past the end
        if (rc != UPNPCOMMAND_SUCCESS) return refused("GetGenericPortMappingEntry", rc);
        out.push_back({protocol, std::atoi(external), client, std::atoi(internal), description, std::strcmp(enabled, "0") != 0,
                       std::atoi(lease)});
    }
    return out;
}

Result<std::optional<PortMapping>> Igd::mapping(int external_port, const std::string& protocol) {
    char client[64] = {0}, internal[16] = {0}, description[256] = {0}, enabled[8] = {0}, lease[16] = {0};
    const std::string port = std::to_string(external_port);
    const int rc = UPNP_GetSpecificPortMappingEntry(state_->urls.controlURL, state_->data.first.servicetype, port.c_str(),
                                                    protocol.c_str(), nullptr, client, internal, description, enabled, lease);
    if (rc == upnp_error::NoSuchEntryInArray) return std::optional<PortMapping>{};
    if (rc != UPNPCOMMAND_SUCCESS) return refused("GetSpecificPortMappingEntry " + port + "/" + protocol, rc);
    return std::optional<PortMapping>(PortMapping{protocol, external_port, client, std::atoi(internal), description,
                                                  std::strcmp(enabled, "0") != 0, std::atoi(lease)});
}

Result<Done> Igd::add(const PortMapping& m) {
    const std::string external = std::to_string(m.external_port), internal = std::to_string(m.internal_port),
                      lease = std::to_string(m.lease_s);
    const int rc = UPNP_AddPortMapping(state_->urls.controlURL, state_->data.first.servicetype, external.c_str(),
                                       internal.c_str(), m.internal_client.c_str(), m.description.c_str(),
                                       m.protocol.c_str(), nullptr, lease.c_str());
    if (rc != UPNPCOMMAND_SUCCESS) return refused("AddPortMapping " + external + "/" + m.protocol + " to " + m.internal_client, rc);
    return Done{};
}

Result<int> Igd::add_any(const PortMapping& m) {
    const std::string external = std::to_string(m.external_port), internal = std::to_string(m.internal_port),
                      lease = std::to_string(m.lease_s);
    char reserved[16] = {0};
    const int rc = UPNP_AddAnyPortMapping(state_->urls.controlURL, state_->data.first.servicetype, external.c_str(),
                                          internal.c_str(), m.internal_client.c_str(), m.description.c_str(),
                                          m.protocol.c_str(), nullptr, lease.c_str(), reserved);
    if (rc != UPNPCOMMAND_SUCCESS)
        return refused("AddAnyPortMapping " + external + "/" + m.protocol + " to " + m.internal_client, rc);
    const int port = std::atoi(reserved);
    if (port <= 0 || port > 65535) return Error{ErrorCode::MalformedAnswer, identity_.label(), "AddAnyPortMapping reserved port '" + std::string(reserved) + "'", ""};
    return port;
}

Result<Done> Igd::remove(int external_port, const std::string& protocol) {
    const std::string port = std::to_string(external_port);
    const int rc = UPNP_DeletePortMapping(state_->urls.controlURL, state_->data.first.servicetype, port.c_str(),
                                          protocol.c_str(), nullptr);
    if (rc != UPNPCOMMAND_SUCCESS) return refused("DeletePortMapping " + port + "/" + protocol, rc);
    return Done{};
}

}  // namespace sitelink::router
