#include "core/error.h"

#include <iterator>

namespace sitelink {
namespace {

struct CatalogueEntry {
    const char* id;
    const char* summary;
    const char* advice;
    int exit_code;
};

// The catalogue: one entry per ErrorCode, in enum order.
constexpr CatalogueEntry kCatalogue[] = {
    {"usage", "invalid request", "Check the command with --help.", 2},
    {"no-such-interface", "no such network interface",
     "Run the command without --interface to list the interfaces Sitelink can use.", 4},
    {"socket-failed", "network operation failed",
     "Check that the interface is up and that Sitelink runs with enough privileges.", 1},
    {"connection-refused", "connection refused",
     "Check the address and port; the device may use another HTTP port for ONVIF.", 1},
    {"unreachable", "no route to the device",
     "Check that the laptop is on the device's subnet, or that a route to it exists.", 1},
    {"timed-out", "timed out",
     "Check the device is powered and reachable; raise --timeout-ms for slow devices.", 1},
    {"connection-closed", "the device closed the connection",
     "Retry; if it persists, the device may be overloaded or rebooting.", 1},
    {"not-onvif", "not an ONVIF device",
     "Check the address, or enable ONVIF in the device's web interface.", 1},
    {"malformed-answer", "malformed answer",
     "The device's firmware answered with invalid data; check for a firmware update.", 1},
    {"auth-failed", "authentication failed",
     "Check the user name and password; some devices need an ONVIF user created in their web interface.", 1},
    {"not-permitted", "not permitted",
     "Use an account with the Administrator level for this operation.", 1},
    {"device-fault", "the device reported a fault", "See the device's message for details.", 1},
    {"no-password", "no password given",
     "Set SITELINK_PASSWORD or run interactively to be prompted.", 2},
    {"profile-invalid", "invalid profile", "Fix the named file and key in profiles/.", 4},
    {"precondition", "cannot start", "Do what the message says, then run the command again.", 4},
    {"site-database", "site database error",
     "Check that the file named is writable and not damaged; --site chooses another site.", 1},
    {"address-in-use", "address already in use",
     "Another host answers at that address: pick another with `sitelink address plan --set`, or remove the other host.", 1},
    {"change-not-kept", "the device did not keep the change",
     "The firmware accepted the change but kept its old settings; set the address in the device's web interface, "
     "or update its firmware.", 1},
    {"device-lost", "the device is not answering",
     "Wait until it has finished rebooting, then run `sitelink resume`; it will be found and verified or rolled back.", 1},
    {"no-upnp-router", "no UPnP router found",
     "Switch UPnP on in the router's settings and try again, or set the forwarding rules by hand: "
     "`sitelink forward guide` prints them.", 1},
    {"router-refused", "the router refused",
     "See the router's UPnP error; `sitelink forward guide` prints the rules to set by hand.", 1},
    {"not-found", "not found", "Check the name: the wizard's first step lists the sites, and each site its devices.", 2},
};

static_assert(std::size(kCatalogue) == static_cast<std::size_t>(ErrorCode::NotFound) + 1,
              "one catalogue entry per ErrorCode");

const CatalogueEntry& entry(ErrorCode code) { return kCatalogue[static_cast<int>(code)]; }

}  // namespace

std::string Error::id() const { return entry(code).id; }

std::string Error::summary() const {
    std::string line = device.empty() ? "" : device + ": ";
    line += entry(code).summary;
    if (!detail.empty()) line += " (" + detail + ")";
    if (!protocol_code.empty()) line += " [" + protocol_code + "]";
    return line;
}

std::string Error::advice() const { return entry(code).advice; }

int Error::exit_code() const { return entry(code).exit_code; }

}  // namespace sitelink
