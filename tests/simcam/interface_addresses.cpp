#include "interface_addresses.h"

#include <arpa/inet.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <net/if.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <stdexcept>

namespace simcam {

InterfaceAddresses::InterfaceAddresses(std::string interface_name) : name_(std::move(interface_name)) {
    index_ = static_cast<int>(if_nametoindex(name_.c_str()));
    if (index_ == 0) throw std::runtime_error("interface " + name_ + ": " + std::strerror(errno));
    netlink_fd_ = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
    if (netlink_fd_ < 0) throw std::runtime_error(std::string("netlink socket: ") + std::strerror(errno));
    timeval timeout{2, 0};  // the kernel answers at once; this only guards against a lost ack
    setsockopt(netlink_fd_, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
    sockaddr_nl local{};
    local.nl_family = AF_NETLINK;
    if (bind(netlink_fd_, reinterpret_cast<sockaddr*>(&local), sizeof local) != 0) {
        ::close(netlink_fd_);
        throw std::runtime_error(std::string("netlink bind: ") + std::strerror(errno));
    }
}

InterfaceAddresses::~InterfaceAddresses() {
    if (netlink_fd_ >= 0) ::close(netlink_fd_);
}

int InterfaceAddresses::add(in_addr address, int prefix) {
    return request(RTM_NEWADDR, NLM_F_CREATE | NLM_F_EXCL, address, prefix);
}

int InterfaceAddresses::remove(in_addr address, int prefix) { return request(RTM_DELADDR, 0, address, prefix); }


bool InterfaceAddresses::enable_promote_secondaries() {
    std::ofstream knob("/proc/sys/net/ipv4/conf/" + name_ + "/promote_secondaries");
    knob << "1\n";
    knob.flush();
    return static_cast<bool>(knob);
}

int InterfaceAddresses::request(int type, int flags, in_addr address, int prefix) {
    struct {
        nlmsghdr header;
        ifaddrmsg body;
        char attributes[2 * RTA_SPACE(sizeof(in_addr))];
    } message{};
    message.header.nlmsg_len = NLMSG_LENGTH(sizeof(ifaddrmsg));
    message.header.nlmsg_type = static_cast<__u16>(type);
    message.header.nlmsg_flags = static_cast<__u16>(NLM_F_REQUEST | NLM_F_ACK | flags);
    message.header.nlmsg_seq = ++sequence_;
    message.body.ifa_family = AF_INET;
    message.body.ifa_prefixlen = static_cast<unsigned char>(prefix);
    // The kernel refuses 127/8 addresses of universe scope (simcam on lo, as the unit tests run it).
    const bool loopback = ntohl(address.s_addr) >> IN_CLASSA_NSHIFT == IN_LOOPBACKNET;
    message.body.ifa_scope = loopback ? RT_SCOPE_HOST : RT_SCOPE_UNIVERSE;
    message.body.ifa_index = static_cast<unsigned>(index_);
    // A delete names only IFA_LOCAL: with IFA_ADDRESS the kernel also demands the exact prefix
    // length, which may differ when the test, not simcam, added the address.
    const unsigned short attributes[] = {IFA_LOCAL, IFA_ADDRESS};
    const int attribute_count = type == RTM_DELADDR ? 1 : 2;
    for (int i = 0; i < attribute_count; ++i) {
        const unsigned short attribute = attributes[i];
        auto* rta = reinterpret_cast<rtattr*>(reinterpret_cast<char*>(&message) + NLMSG_ALIGN(message.header.nlmsg_len));
        rta->rta_type = attribute;
        rta->rta_len = RTA_LENGTH(sizeof(in_addr));
        std::memcpy(RTA_DATA(rta), &address, sizeof address);
        message.header.nlmsg_len = NLMSG_ALIGN(message.header.nlmsg_len) + RTA_SPACE(sizeof(in_addr));
    }

    sockaddr_nl kernel{};
    kernel.nl_family = AF_NETLINK;
    if (sendto(netlink_fd_, &message, message.header.nlmsg_len, 0, reinterpret_cast<sockaddr*>(&kernel),
               sizeof kernel) < 0)
        return errno;

    char reply[8192];
    for (;;) {
        const ssize_t length = recv(netlink_fd_, reply, sizeof reply, 0);
        if (length < 0) return errno == EINTR ? EINTR : errno;
        int remaining = static_cast<int>(length);
        for (auto* header = reinterpret_cast<nlmsghdr*>(reply); NLMSG_OK(header, remaining);
             header = NLMSG_NEXT(header, remaining)) {
            if (header->nlmsg_seq != sequence_ || header->nlmsg_type != NLMSG_ERROR) continue;
            const auto* error = static_cast<const nlmsgerr*>(NLMSG_DATA(header));
            return -error->error;
        }
    }
}

}  // namespace simcam
