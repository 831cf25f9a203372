// Planning fixed addresses: learn the network, read every device, propose, check, save.
#include <algorithm>
#include <cctype>
#include <future>
#include <nlohmann/json.hpp>
#include <set>

#include "address/address.h"
#include "address/lan_probe.h"
#include "discover/discover.h"
#include "inspect/inspect.h"

namespace sitelink::address {

namespace {

// Devices read at once while planning.
constexpr int kInspectParallel = 16;
// Rounds of "propose, find some addresses taken, propose again" before giving up.
constexpr int kConflictRounds = 3;
// Without a pool to avoid, fixed addresses start this far into the subnet: the first addresses
// are where routers, switches and access points usually sit.
constexpr std::uint32_t kDefaultFirstOffset = 20;
// Pools are guessed in blocks of this many addresses in a /24 (.100-.199, ...).
constexpr std::uint32_t kPoolBlock = 100;

std::string lower(std::string text) {
    std::transform(text.begin(), text.end(), text.begin(), [](unsigned char c) { return std::tolower(c); });
    return text;
}

bool is_recorder(const DiscoveredDevice& found, const DeviceReport& report) {
    for (const auto& scope : found.scopes.all) {
        const auto text = lower(scope);
        if (text.find("/type/") != std::string::npos &&
            (text.find("recorder") != std::string::npos || text.find("nvr") != std::string::npos))
            return true;
    }
    // Cameras have one or two streams per sensor; a device with many profiles is a recorder
    // (or an encoder), which the installer wants first in the list either way.
    return report.profiles.size() >= 4;
}

PlanInput read_device(const DiscoveredDevice& found, const PlanRequest& request) {
    PlanInput input;
    auto& d = input.device;
    d.endpoint = found.endpoint;
    d.url = discover::device_service_url(found);
    d.name = found.scopes.name.value_or("");
    d.mac = normalize_mac(found.scopes.mac.value_or(""));
    d.serial = found.scopes.serial.value_or("");
    d.current.address = found.address;
    d.role = "camera";
    inspect::InspectRequest inspect_request{d.url, request.credentials.for_device(device_key(d.endpoint, d.mac, found.address)),
                                            request.timeout};
    auto report = inspect::inspect(inspect_request);
    if (!report) {
        input.unusable = report.error();
    } else {
        d.manufacturer = report->manufacturer;
        d.model = report->model;
        if (!report->mac.empty()) d.mac = normalize_mac(report->mac);
        if (!report->serial.empty()) d.serial = report->serial;
        d.current = report->network;
        d.network_read = true;
        d.role = is_recorder(found, report.value()) ? "recorder" : "camera";
        if (d.name.empty()) d.name = report->manufacturer + " " + report->model;
    }
    d.original = d.current;
    d.key = device_key(d.endpoint, d.mac, found.address);
    return input;
}

// Human order: "Cam 2" before "Cam 10".
bool natural_less(const std::string& a, const std::string& b) {
    std::size_t i = 0, j = 0;
    while (i < a.size() && j < b.size()) {
        if (std::isdigit(static_cast<unsigned char>(a[i])) && std::isdigit(static_cast<unsigned char>(b[j]))) {
            std::size_t ei = i, ej = j;
            while (ei < a.size() && std::isdigit(static_cast<unsigned char>(a[ei]))) ++ei;
            while (ej < b.size() && std::isdigit(static_cast<unsigned char>(b[ej]))) ++ej;
            const auto na = a.substr(i, ei - i), nb = b.substr(j, ej - j);
            if (na.size() != nb.size()) return na.size() < nb.size();
            if (na != nb) return na < nb;
            i = ei;
            j = ej;
            continue;
        }
        const auto ca = std::tolower(static_cast<unsigned char>(a[i])), cb = std::tolower(static_cast<unsigned char>(b[j]));
        if (ca != cb) return ca < cb;
        ++i;
        ++j;
    }
    return a.size() - i < b.size() - j;
}

}  // namespace

void to_json(nlohmann::json& j, const SiteNetwork& v) {
    auto list = [](const std::vector<Ipv4>& addresses) {
        std::vector<std::string> out;
        for (const auto& a : addresses) out.push_back(a.str());
        return out;
    };
    j = {{"interface", v.interface}, {"subnet", v.subnet.str()}, {"agent_address", v.agent_address.str()},
         {"dns", list(v.dns)}, {"notes", v.notes}};
    j["gateway"] = v.gateway ? nlohmann::json(v.gateway->str()) : nlohmann::json(nullptr);
    j["dhcp_server"] = v.dhcp_server ? nlohmann::json(v.dhcp_server->str()) : nlohmann::json(nullptr);
    j["dhcp_pool"] = v.pool ? nlohmann::json{{"first", v.pool->first.str()}, {"last", v.pool->last.str()},
                                             {"source", v.pool->source}}
                            : nlohmann::json(nullptr);
}

void from_json(const nlohmann::json& j, SiteNetwork& v) {
    auto address = [](const nlohmann::json& text) {
        auto parsed = Ipv4::parse(text.get<std::string>());
        if (!parsed) throw std::invalid_argument("bad address " + text.dump());
        return *parsed;
    };
    v.interface = j.at("interface").get<std::string>();
    auto subnet = Ipv4Subnet::parse(j.at("subnet").get<std::string>());
    if (!subnet) throw std::invalid_argument("bad subnet");
    v.subnet = *subnet;
    v.agent_address = address(j.at("agent_address"));
    v.dns.clear();
    for (const auto& a : j.at("dns")) v.dns.push_back(address(a));
    v.notes = j.at("notes").get<std::vector<std::string>>();
    v.gateway = j.at("gateway").is_null() ? std::nullopt : std::optional<Ipv4>(address(j.at("gateway")));
    v.dhcp_server = j.at("dhcp_server").is_null() ? std::nullopt : std::optional<Ipv4>(address(j.at("dhcp_server")));
    const auto& pool = j.at("dhcp_pool");
    v.pool = pool.is_null() ? std::nullopt
                            : std::optional<DhcpPool>(DhcpPool{address(pool.at("first")), address(pool.at("last")),
                                                               pool.at("source").get<std::string>()});
}

void to_json(nlohmann::json& j, const AddressPlan& v) {
    j = {{"network", v.network}, {"in_use", v.in_use}, {"devices", nlohmann::json::array()}};
    for (const auto& line : v.lines)
        j["devices"].push_back({{"key", line.device.key},
                                {"name", line.device.name},
                                {"role", line.device.role},
                                {"mac", line.device.mac},
                                {"model", line.device.manufacturer + " " + line.device.model},
                                {"current", line.device.current},
                                {"action", line.planned.action},
                                {"target", line.planned.target},
                                {"reason", line.planned.reason}});
}

std::optional<DhcpPool> parse_dhcp_pool(const std::string& text) {
    const auto dash = text.find('-');
    if (dash == std::string::npos) return std::nullopt;
    auto first = Ipv4::parse(text.substr(0, dash));
    auto last = Ipv4::parse(text.substr(dash + 1));
    if (!first || !last || *last < *first) return std::nullopt;
    return DhcpPool{*first, *last, "installer"};
}

DhcpPool infer_pool(const Ipv4Subnet& subnet, const std::vector<Ipv4>& handed_out) {
    // Consumer routers default to pools on hundreds of the last octet (.100-.199, .2-.254); in a
    // larger subnet, whole /24s.
    const std::uint32_t block = subnet.prefix >= 24 ? kPoolBlock : 256;
    const auto [low, high] = std::minmax_element(handed_out.begin(), handed_out.end());
    const std::uint32_t base = subnet.network.value;
    const std::uint32_t last_host = base + static_cast<std::uint32_t>(subnet.size()) - 2;
    const std::uint32_t first = base + (low->value - base) / block * block;
    const std::uint32_t last = base + ((high->value - base) / block + 1) * block - 1;
    return {Ipv4{std::max(first, base + 1)}, Ipv4{std::min(last, last_host)}, "inferred"};
}

Result<std::vector<site::PlannedAddress>> assign_addresses(const SiteNetwork& network, const std::vector<PlanInput>& devices,
                                                           const PlanChoices& choices, const std::vector<Ipv4>& taken) {
    const auto& subnet = network.subnet;
    const Ipv4 broadcast{subnet.network.value + static_cast<std::uint32_t>(subnet.size()) - 1};
    std::set<Ipv4> reserved(taken.begin(), taken.end());
    reserved.insert(subnet.network);
    reserved.insert(broadcast);
    reserved.insert(network.agent_address);
    if (network.gateway) reserved.insert(*network.gateway);
    if (network.dhcp_server) reserved.insert(*network.dhcp_server);
    for (const auto& d : network.dns) reserved.insert(d);
    std::map<Ipv4, std::string> held_by;  // current addresses of the devices themselves
    for (const auto& input : devices)
        if (auto a = Ipv4::parse(input.device.current.address)) held_by[*a] = input.device.key;

    auto in_pool = [&](Ipv4 a) { return network.pool && network.pool->contains(a); };
    auto usable_for = [&](Ipv4 a, const std::string& key) {
        if (!subnet.contains(a) || reserved.count(a) || in_pool(a)) return false;
        auto holder = held_by.find(a);
        return holder == held_by.end() || holder->second == key;
    };

    std::vector<const PlanInput*> order;
    for (const auto& input : devices) order.push_back(&input);
    std::stable_sort(order.begin(), order.end(), [](const PlanInput* a, const PlanInput* b) {
        if (a->device.role != b->device.role) return a->device.role == "recorder";
        if (a->device.name != b->device.name) return natural_less(a->device.name, b->device.name);
        return a->device.key < b->device.key;
    });

    auto target_for = [&](const site::SiteDevice& d, Ipv4 address) {
        NetworkSettings t;
        t.address = address.str();
        t.prefix = subnet.prefix;
        t.dhcp = false;
        t.interface_token = d.current.interface_token;
        t.gateway = network.gateway ? std::optional<std::string>(network.gateway->str()) : d.current.gateway;
        for (const auto& dns : network.dns) t.dns.push_back(dns.str());
        if (t.dns.empty()) t.dns = d.current.dns;
        return t;
    };

    std::map<std::string, site::PlannedAddress> decided;
    std::set<Ipv4> assigned;
    // 1. The installer's choices, each checked against every rule.
    for (const auto& [who, address] : choices.overrides) {
        const PlanInput* input = nullptr;
        for (const auto* candidate : order)
            if (candidate->device.answers_to(who)) input = candidate;
        if (!input)
            return Error{ErrorCode::Usage, who, "no device on this site matches '" + who + "' (use a name, MAC, serial or address)", ""};
        const auto& d = input->device;
        std::string broken;
        ErrorCode code = ErrorCode::Usage;
        if (!subnet.contains(address)) {
            broken = "it is outside " + subnet.str();
        } else if (in_pool(address)) {
            broken = "it is inside the DHCP pool " + network.pool->first.str() + "-" + network.pool->last.str();
        } else if (std::find(taken.begin(), taken.end(), address) != taken.end()) {
            broken = "another host answers at it";
            code = ErrorCode::AddressInUse;
        } else if (!usable_for(address, d.key) || assigned.count(address)) {
            broken = "it is the network, broadcast, gateway, DNS, this laptop's or another device's address";
        }
        if (!broken.empty()) return Error{code, d.label(), "cannot use " + address.str() + ": " + broken, ""};
        if (input->unusable)
            return Error{ErrorCode::Usage, d.label(), "cannot change it: " + input->unusable->summary(), ""};
        assigned.insert(address);
        decided[d.key] = {d.key, d.current.address == address.str() && !d.current.dhcp ? "keep" : "change",
                          target_for(d, address), "chosen by the installer"};
    }
    // 2. Devices that cannot be changed, and those already fixed outside the pool.
    for (const auto* input : order) {
        const auto& d = input->device;
        if (decided.count(d.key)) continue;
        const auto current = Ipv4::parse(d.current.address);
        if (input->unusable) {
            decided[d.key] = {d.key, "skip", d.current, input->unusable->summary()};
        } else if (!current || !subnet.contains(*current)) {
            decided[d.key] = {d.key, "skip", d.current,
                              "on another subnet (" + d.current.address + "): only devices on " + subnet.str() + " are changed"};
        } else if (!d.current.dhcp && !in_pool(*current) && !reserved.count(*current) && !assigned.count(*current)) {
            assigned.insert(*current);
            decided[d.key] = {d.key, "keep", d.current, "already fixed outside the DHCP pool"};
        }
    }
    // 3. Everyone else, in order, from the first free address on.
    const std::uint32_t first_host = subnet.network.value + 1;
    std::uint32_t start = first_host + kDefaultFirstOffset - 1;
    if (choices.first_address) {
        if (!subnet.contains(*choices.first_address))
            return Error{ErrorCode::Usage, "", "--first " + choices.first_address->str() + " is outside " + subnet.str(), ""};
        start = choices.first_address->value;
    } else if (network.pool && network.pool->first.value <= start + kDefaultFirstOffset) {
        start = network.pool->last.value + 1;  // little room below the pool: go above it
    }
    start = std::clamp(start, first_host, broadcast.value - 1);
    std::uint32_t cursor = start;
    bool wrapped = false;
    auto next_free = [&](const std::string& key) -> std::optional<Ipv4> {
        while (true) {
            if (cursor >= broadcast.value) {
                if (wrapped) return std::nullopt;
                wrapped = true;
                cursor = first_host;
            }
            if (wrapped && cursor >= start) return std::nullopt;
            const Ipv4 a{cursor++};
            if (usable_for(a, key) && !assigned.count(a)) return a;
        }
    };
    for (const auto* input : order) {
        const auto& d = input->device;
        if (decided.count(d.key)) continue;
        if (auto address = next_free(d.key)) {
            assigned.insert(*address);
            decided[d.key] = {d.key, "change", target_for(d, *address),
                              d.current.dhcp ? "uses DHCP" : "its fixed address is inside the DHCP pool or clashes"};
        } else {
            decided[d.key] = {d.key, "skip", d.current,
                              "no free address left outside the DHCP pool: shrink the pool on the router, or give --dhcp-pool/--first"};
        }
    }
    std::vector<site::PlannedAddress> plan;
    for (const auto* input : order) plan.push_back(decided.at(input->device.key));
    return plan;
}

Result<AddressPlan> plan_addresses(const PlanRequest& request, site::SiteDb& site, const NoteSink& note) {
    auto say = [&](const std::string& text) {
        if (note) note(text);
    };
    auto nic = find_interface(request.interface);
    if (!nic) return nic.error();
    AddressPlan plan;
    SiteNetwork& network = plan.network;
    network.interface = nic->name;
    network.subnet = *nic->subnet();
    network.agent_address = *nic->address;
    network.gateway = default_gateway(nic->name);

    say("asking the DHCP server on " + nic->name + " (DHCPDISCOVER only: no address is leased)");
    std::vector<Ipv4> handed_out;
    auto offer = ask_dhcp_server(nic.value());
    if (!offer) {
        network.notes.push_back("could not ask the DHCP server: " + offer.error().summary());
    } else if (!offer->has_value()) {
        network.notes.push_back("no DHCP server answered on " + nic->name);
    } else {
        const DhcpOffer& o = **offer;
        network.dhcp_server = o.server;
        handed_out.push_back(o.offered);
        if (o.router && !network.gateway) network.gateway = o.router;
        network.dns = o.dns;
        network.notes.push_back("DHCP server " + o.server.str() + " offered " + o.offered.str());
    }
    if (network.dns.empty() && network.gateway) network.dns.push_back(*network.gateway);

    say("discovering devices on " + nic->name);
    discover::DiscoverRequest find;
    find.interface = nic->name;
    find.mdns_services = request.mdns_services;
    auto found = discover::discover(find);
    if (!found) return found.error();
    say("reading " + std::to_string(found->devices.size()) + " device(s)");

    std::vector<PlanInput> inputs(found->devices.size());
    std::vector<std::future<void>> running;
    std::atomic<std::size_t> next{0};
    for (int w = 0; w < kInspectParallel; ++w)
        running.push_back(std::async(std::launch::async, [&] {
            for (std::size_t i = next++; i < inputs.size(); i = next++) inputs[i] = read_device(found->devices[i], request);
        }));
    for (auto& r : running) r.get();

    for (const auto& input : inputs) {
        if (!input.device.current.dhcp) continue;
        if (auto a = Ipv4::parse(input.device.current.address); a && network.subnet.contains(*a)) {
            handed_out.push_back(*a);
            network.notes.push_back(input.device.label() + " has its address from DHCP");
        }
    }
    if (request.dhcp_pool) {
        network.pool = request.dhcp_pool;
    } else if (!handed_out.empty()) {
        network.pool = infer_pool(network.subnet, handed_out);
        network.notes.push_back("DHCP pool assumed to be " + network.pool->first.str() + "-" + network.pool->last.str() +
                                " from the addresses DHCP handed out; if the router's pool is larger, give --dhcp-pool FIRST-LAST");
    } else {
        network.notes.push_back("DHCP pool unknown (no DHCP server answered and no device uses DHCP); give --dhcp-pool FIRST-LAST if there is one");
    }

    std::vector<Ipv4> taken;
    std::vector<site::PlannedAddress> planned;
    for (int round = 0;; ++round) {
        auto assigned = assign_addresses(network, inputs, request.choices, taken);
        if (!assigned) return assigned.error();
        planned = std::move(assigned.value());
        if (!request.check_conflicts) {
            network.notes.push_back("addresses were not checked for conflicts (--no-conflict-check)");
            break;
        }
        std::vector<Ipv4> candidates;
        for (const auto& p : planned)
            if (p.action == "change") candidates.push_back(*Ipv4::parse(p.target.address));
        if (candidates.empty()) break;
        say("checking " + std::to_string(candidates.size()) + " address(es) are free (ARP probe and ping)");
        auto holders = find_addresses_in_use(nic.value(), candidates);
        if (!holders) return holders.error();
        if (holders->empty()) break;
        for (const auto& h : holders.value()) {
            taken.push_back(h.address);
            plan.in_use.push_back(h.address.str() + (h.mac.empty() ? "" : " (" + h.mac + ")") + " answers " + h.seen_by);
        }
        if (round + 1 == kConflictRounds)
            return Error{ErrorCode::AddressInUse, nic->name,
                         "addresses keep turning out to be taken: " + std::to_string(plan.in_use.size()) + " so far", ""};
    }

    if (auto r = site.put_fact("network", network); !r) return r.error();
    for (std::size_t i = 0; i < inputs.size(); ++i) {
        // A device seen before keeps the key it has in the site, even if it is found another way now.
        if (auto r = site.remember_device(inputs[i].device); !r) return r.error();
    }
    if (auto r = site.save_plan(planned); !r) return r.error();
    for (const auto& p : planned)
        for (const auto& input : inputs)
            if (input.device.key == p.device_key) plan.lines.push_back({input.device, p});
    return plan;
}

Result<AddressPlan> saved_plan(site::SiteDb& site) {
    AddressPlan plan;
    auto network = site.fact("network");
    if (!network) return network.error();
    if (!network->has_value())
        return Error{ErrorCode::Precondition, site.path().string(), "this site has no address plan yet; run `sitelink address plan --interface IF` first", ""};
    try {
        plan.network = network->value().get<SiteNetwork>();
    } catch (const std::exception& e) {
        return Error{ErrorCode::SiteDatabase, site.path().string(), std::string("the saved network is damaged: ") + e.what(), ""};
    }
    auto lines = site.plan();
    if (!lines) return lines.error();
    for (const auto& p : lines.value()) {
        auto device = site.device(p.device_key);
        if (!device) return device.error();
        if (device->has_value()) plan.lines.push_back({**device, p});
    }
    return plan;
}

}  // namespace sitelink::address
