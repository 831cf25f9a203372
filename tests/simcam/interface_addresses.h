// Adds and removes the simulated devices' IPv4 addresses on one interface, over rtnetlink.
// Netlink rather than `ip addr` because a device that moves its address does so from the event
// loop, and 1000 devices at start-up would mean 1000 fork/execs.
#pragma once

#include <netinet/in.h>

#include <string>

namespace simcam {

class InterfaceAddresses {
  public:
    // Throws std::runtime_error when the interface does not exist or netlink is unavailable.
    explicit InterfaceAddresses(std::string interface_name);
    ~InterfaceAddresses();
    InterfaceAddresses(const InterfaceAddresses&) = delete;
    InterfaceAddresses& operator=(const InterfaceAddresses&) = delete;

    const std::string& name() const { return name_; }
    int index() const { return index_; }

    // 0 on success, else the errno netlink reported (EEXIST: the address was already there).
    int add(in_addr address, int prefix);
    int remove(in_addr address, int prefix);

    // Without promote_secondaries, deleting an interface's primary address deletes every
    // secondary address in the same subnet with it: all the other simulated devices.
    bool enable_promote_secondaries();

  private:
    int request(int type, int flags, in_addr address, int prefix);

    std::string name_;
    int index_ = 0;
    int netlink_fd_ = -1;
    unsigned sequence_ = 0;
};

}  // namespace simcam
