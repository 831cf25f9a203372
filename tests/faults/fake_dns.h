// A scripted DNS server on 127.0.0.1 (UDP): answers A queries from its records, and applies RFC
// 2136 UPDATEs signed with its one TSIG key, answering them signed as BIND does; or misbehaves as
// told, separately for queries and for updates.
#pragma once
#include <atomic>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <thread>

struct ldns_struct_pkt;

namespace sitelink::faults {

enum class DnsFault {
    None,          // answers properly
    Silent,        // reads the message and never answers
    Garbage,       // answers with bytes that are not a DNS message
    Truncated,     // answers with the proper answer cut to its first 7 bytes
    MismatchedId,  // answers with the proper answer under another message ID
    Unsigned,      // answers an UPDATE NOTAUTH without a signature, as BIND does when it cannot verify it
};

class FakeDns {
public:
    // The key UPDATEs must be signed with: its name ("sitelink-test.") and base64 secret.
    FakeDns(std::string key_name, std::string secret);
    ~FakeDns();
    FakeDns(const FakeDns&) = delete;
    FakeDns& operator=(const FakeDns&) = delete;

    std::string server() const;  // "127.0.0.1:PORT"
    void set_record(const std::string& name, const std::string& address);
    std::optional<std::string> record(const std::string& name) const;
    void set_query_fault(DnsFault fault);
    void set_update_fault(DnsFault fault);
    int queries() const;  // messages received, whether answered or not
    int updates() const;

private:
    void serve();
    std::string answer_query(ldns_struct_pkt* query);
    std::string answer_update(ldns_struct_pkt* update, const std::string& wire);

    int fd_ = -1;
    int stop_pipe_[2] = {-1, -1};
    int port_ = 0;
    std::string key_name_;
    std::string secret_;
    std::thread thread_;

    mutable std::mutex mutex_;
    std::map<std::string, std::string> records_;  // lower-case name without the final dot -> address
    DnsFault query_fault_ = DnsFault::None;
    DnsFault update_fault_ = DnsFault::None;
    int queries_ = 0;
    int updates_ = 0;
};

}  // namespace sitelink::faults
