// The browser wizard (`sitelink serve`): the wizard's files, embedded in the binary at build time,
// and a JSON API over the same stages the CLI drives. Long actions run as jobs whose progress the
// browser follows as Server-Sent Events. Entry point: WizardServer.
// Secure by default: loopback only; beyond loopback a one-time token opens a session; the Host
// header must name this server (DNS rebinding); state changes need the wizard's own Origin;
// passwords and keys never travel back to the browser.
#pragma once
#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/error.h"
#include "verify/probe.h"

namespace sitelink::web {

struct ServeOptions {
    std::string listen = "127.0.0.1";
    int port = 8080;  // 0: any free port
    bool require_token = false;  // also on loopback (a shared machine); always beyond loopback
    std::vector<std::string> host_names;  // more names the browser may use for this machine
    std::string interface;  // the site's LAN, preselected in the wizard
    // How the router and the internet are reached, as the CLI's router and verify options.
    std::string igd;
    std::string ip_echo = "https://api.ipify.org";  // "none" skips it
    std::vector<std::string> resolvers;             // empty: verify's public defaults
    std::optional<verify::ProbeServerRef> probe;
    std::chrono::milliseconds timeout{5000};        // each ONVIF call
    std::chrono::milliseconds discover_timeout{5000};
};

class WizardServer {
public:
    // Loads the profiles and binds; nothing is served until run().
    static Result<std::unique_ptr<WizardServer>> bind(ServeOptions options);
    ~WizardServer();
    int port() const;
    // The address to open (with the token when one is needed; a new one after each use).
    std::string url() const;
    // Serves until stop(); `announce` is told the address to open again after a token is spent.
    void run(const std::function<void(const std::string&)>& announce);
    void stop();

private:
    struct State;
    explicit WizardServer(std::unique_ptr<State> state);
    std::unique_ptr<State> state_;
};

}  // namespace sitelink::web
