// One error type for the whole agent. Every failure names the device it concerns, keeps the
// protocol's own code (HTTP status, SOAP fault subcode, errno) unchanged, and says what to do.
// The stable IDs and their default advice live in one catalogue (error.cpp).
#pragma once
#include <optional>
#include <string>
#include <utility>
#include <variant>

namespace sitelink {

enum class ErrorCode {
    Usage,              // the command line or request is wrong
    NoSuchInterface,    // the chosen network interface does not exist or has no IPv4 address
    SocketFailed,       // the OS refused a socket operation
    ConnectionRefused,  // nothing listens at the device's address and port
    Unreachable,        // no route to the device
    TimedOut,           // the device did not answer within the call's timeout
    ConnectionClosed,   // the device closed or reset the connection mid-call
    NotOnvif,           // something answered, but not an ONVIF device service
    MalformedAnswer,    // the device's answer is not valid for the operation
    AuthFailed,         // the device refused the credentials
    NotPermitted,       // the credentials are valid but lack rights for the operation
    DeviceFault,        // the device answered with a SOAP fault
    NoPassword,         // a password is needed and none was given
    ProfileInvalid,     // a file in profiles/ is missing or wrong
    Precondition,       // something the command needs is missing (root, a file)
    SiteDatabase,       // the site database cannot be opened, read or written
    AddressInUse,       // another host already answers at an address Sitelink meant to use
    ChangeNotKept,      // a device accepted a change but does not show it afterwards
    DeviceLost,         // a device stopped answering after a change and could not be found
    NoRouter,           // no UPnP Internet Gateway Device answered on the interface
    RouterRefused,      // the router answered a UPnP action with an error
    NotFound,           // the site, device or job named does not exist
};

struct Error {
    ErrorCode code;
    std::string device;         // who: name, address or URL of the device; empty if none
    std::string detail;         // what happened, in the device's or OS's own words
    std::string protocol_code;  // e.g. "HTTP 401", "ter:NotAuthorized", "errno 111"; empty if none

    std::string id() const;       // stable identifier, e.g. "auth-failed"
    std::string summary() const;  // one line for people: "192.168.1.20: authentication failed"
    std::string advice() const;   // what to do next
    int exit_code() const;        // for the CLI: 1 failed, 2 usage, 4 precondition not met
};

// The value of an operation that can fail: either T or an Error.
template <class T>
class Result {
public:
    Result(T value) : v_(std::move(value)) {}
    Result(Error error) : v_(std::move(error)) {}
    bool ok() const { return std::holds_alternative<T>(v_); }
    explicit operator bool() const { return ok(); }
    T& value() { return std::get<T>(v_); }
    const T& value() const { return std::get<T>(v_); }
    T* operator->() { return &value(); }
    const T* operator->() const { return &value(); }
    T& operator*() { return value(); }
    const T& operator*() const { return value(); }
    const Error& error() const { return std::get<Error>(v_); }

private:
    std::variant<T, Error> v_;
};

// For operations that succeed with nothing to return.
struct Done {};

}  // namespace sitelink
