// The wizard's request bodies, read into the stages' own request types. Everything the browser
// sends passes through here first, so a wrong or hostile body becomes one Usage error naming the
// field, never a crash (fuzzed: tests/fuzz/fuzz_wizard_requests.cpp).
#pragma once
#include <optional>
#include <string>
#include <vector>

#include "address/address.h"
#include "core/error.h"
#include "ddns/ddns.h"
#include "router/router.h"

namespace sitelink::web {

// The largest body the server reads.
constexpr std::size_t kMaxBody = 64 * 1024;

// The wizard's steps, in order.
inline const std::vector<std::string> kSteps = {"site", "discover", "credentials", "addresses", "router", "ddns", "verify", "handoff"};

struct OpenSite {
    std::string name;
    std::string interface;
};
Result<OpenSite> parse_open_site(const std::string& body);
Result<std::string> parse_step(const std::string& body);

struct DiscoverChoices {
    std::optional<std::string> sweep;  // CIDR
};
Result<DiscoverChoices> parse_discover(const std::string& body);

struct CredentialsTry {
    std::vector<std::string> devices;  // keys
    std::string username;
    std::string password;
};
Result<CredentialsTry> parse_credentials(const std::string& body);

struct AddressChoices {
    std::optional<address::DhcpPool> dhcp_pool;
    address::PlanChoices choices;
};
Result<AddressChoices> parse_address_plan(const std::string& body);

Result<router::ForwardChoices> parse_forward_plan(const std::string& body);

Result<ddns::DdnsSetRequest> parse_ddns(const std::string& body);

struct HandoffChoices {
    std::string viewer_user = "viewer";
    bool create_viewer = true;
    std::string installer;
};
Result<HandoffChoices> parse_handoff(const std::string& body);

}  // namespace sitelink::web
