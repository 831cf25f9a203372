// A scripted UPnP Internet Gateway Device (IGD:1) on 127.0.0.1, for the router faults that
// miniupnpd cannot be made to show: a root description pointing at one WANIPConnection control
// URL, a port mapping table that AddPortMapping, DeletePortMapping and the Get*PortMappingEntry
// actions really use, and per action a misbehaviour to play instead of the proper answer.
#pragma once
#include <atomic>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "router/igd.h"

namespace sitelink::faults {

enum class IgdFault {
    Refuse,             // a SOAP fault (HTTP 500) with a UPnP error code; nothing changes
    CloseWithoutAnswer, // reads the request, changes nothing, closes the connection
    ApplyThenClose,     // carries the action out, then closes without a word
    CloseMidAnswer,     // carries the action out, sends half of the answer, closes
    Hang,               // reads the request and never answers; changes nothing
    Garbage,            // answers HTTP 200 with a body that is not XML; changes nothing
    HugeBody,           // answers HTTP 200 with 8 MiB that hold no result; changes nothing
};

class FakeIgd {
public:
    // The router's internet address, as GetExternalIPAddress answers it: a public one, so that
    // verify takes it as the site's. Only ever a value in answers; nothing is sent to it.
    static constexpr const char* kExternalAddress = "93.184.216.34";

    FakeIgd();
    ~FakeIgd();
    FakeIgd(const FakeIgd&) = delete;
    FakeIgd& operator=(const FakeIgd&) = delete;

    // The next `times` requests for the action ("AddPortMapping", ..., or "description" for the
    // root description) after the first `pass` get the fault instead of the proper answer.
    // upnp_code is the error Refuse sends.
    void script(const std::string& action, IgdFault fault, int upnp_code = 0, int times = 1, int pass = 0);

    std::string description_url() const;
    std::vector<router::PortMapping> mappings() const;
    // How often the action was asked ("description": the root description), whatever the answer.
    int count(const std::string& action) const;

private:
    struct Script {
        IgdFault fault;
        int upnp_code;
        int times;
        int pass;
    };
    struct Request;

    void serve();
    void handle(int fd);
    std::optional<Script> take_script(const std::string& action);
    // The proper answer: HTTP status and SOAP body (or description); changes the table.
    std::pair<int, std::string> perform(const std::string& action, const std::string& body);
    void wait_for_hangup(int fd) const;

    int listen_fd_ = -1;
    int stop_pipe_[2] = {-1, -1};
    int port_ = 0;
    std::thread acceptor_;
    std::vector<std::thread> connections_;
    std::vector<int> open_fds_;
    std::atomic<bool> stopping_{false};

    mutable std::mutex mutex_;
    std::map<std::string, Script> scripts_;
    std::vector<router::PortMapping> table_;
    std::vector<std::string> requests_;
};

}  // namespace sitelink::faults
