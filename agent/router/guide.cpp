// The manual guide: the forwarding rules written out for the router family's own screens.
#include <sstream>

#include "router/router.h"

namespace sitelink::router {

namespace {

std::string with_gateway(std::string text, const std::string& gateway) {
    const std::string marker = "{gateway}";
    for (auto at = text.find(marker); at != std::string::npos; at = text.find(marker, at + gateway.size()))
        text.replace(at, marker.size(), gateway);
    return text;
}

}  // namespace

std::string menu_path(const std::vector<std::string>& menu) {
    std::string out;
    for (const auto& p : menu) out += (out.empty() ? "" : " > ") + p;
    return out;
}

const RouterProfile& router_profile_for(const Profiles& profiles, const std::optional<RouterIdentity>& router) {
    if (router) {
        const std::string description = router->manufacturer + " " + router->model + " " + router->friendly_name;
        for (const auto& profile : profiles.routers)
            if (profile.matches(description)) return profile;
    }
    return *profiles.router("generic");
}

std::string manual_guide(const std::vector<ForwardRule>& rules, const RouterProfile& profile, const std::string& gateway) {
    std::ostringstream out;
    out << "Port forwarding by hand: " << profile.family << "\n";
    out << "1. Log in to the router at " << with_gateway(profile.admin_url, gateway.empty() ? "the router's address" : gateway) << ".\n";
    out << "2. Open " << menu_path(profile.menu) << ".\n";
    int step = 3;
    for (const auto& rule : rules) {
        out << step++ << ". " << rule.device << ", " << rule.service << " (" << rule.purpose << "): " << profile.add << "\n";
        if (profile.field_name) out << "     " << *profile.field_name << ": sitelink-" << rule.service << "-" << rule.external_port << "\n";
        out << "     " << profile.field_external_port << ": " << rule.external_port << "\n";
        out << "     " << profile.field_internal_address << ": " << rule.internal_client << "\n";
        out << "     " << profile.field_internal_port << ": " << rule.internal_port << "\n";
        const auto spelled = profile.protocol_values.find(rule.protocol);
        out << "     " << profile.field_protocol << ": " << (spelled != profile.protocol_values.end() ? spelled->second : rule.protocol)
            << "\n";
        out << "     " << profile.save << "\n";
    }
    out << step << ". When every rule is saved, check from outside the site (a phone on mobile data) that each device answers.\n";
    for (const auto& note : profile.notes) out << "Note: " << note << "\n";
    out << "To close these ports later: " << menu_path(profile.menu) << ", then for each rule above: " << profile.remove << "\n";
    return out.str();
}

std::string removal_guide(const std::vector<ForwardRule>& rules, const RouterProfile& profile, const std::string& gateway) {
    std::ostringstream out;
    out << "Removing port forwarding by hand: " << profile.family << "\n";
    out << "1. Log in to the router at " << with_gateway(profile.admin_url, gateway.empty() ? "the router's address" : gateway) << ".\n";
    out << "2. Open " << menu_path(profile.menu) << ".\n";
    int step = 3;
    for (const auto& rule : rules)
        out << step++ << ". The rule for external port " << rule.external_port << " " << rule.protocol << " to " << rule.internal_client
            << ":" << rule.internal_port << " (" << rule.device << "): " << profile.remove << "\n";
    return out.str();
}

}  // namespace sitelink::router
