// Unit tests for simcam's pure parts: configuration parsing and UsernameToken verification.
// The network behaviour is covered by running the binary in namespaces (see tests/netns).
#include <gtest/gtest.h>

#include <openssl/sha.h>

#include <chrono>

#include "auth.h"
#include "config.h"
#include "soapH.h"

namespace simcam {
namespace {

TEST(Config, MinimalDeviceGetsDefaults) {
    const auto config = parse_config(R"({ "devices": [ {"address": "10.0.0.5"} ] })");
    ASSERT_EQ(config.devices.size(), 1u);
    const auto& device = config.devices[0];
    EXPECT_EQ(config.interface, "eth0");
    EXPECT_TRUE(config.add_addresses);
    EXPECT_EQ(device.port, 80);
    EXPECT_EQ(device.auth, AuthMode::Digest);
    EXPECT_EQ(device.serial, "SIM0A000005");
    EXPECT_EQ(device.mac, "02:00:0a:00:00:05");
    EXPECT_EQ(device.endpoint, endpoint_from_serial("SIM0A000005"));
    ASSERT_EQ(device.users.size(), 1u);
    EXPECT_EQ(device.users[0].level, UserLevel::Administrator);
    EXPECT_EQ(device.profiles.size(), 2u);
}

TEST(Config, DefaultsApplyAndDeviceOverrides) {
    const auto config = parse_config(R"({
        "defaults": { "auth": "usernametoken", "port": 8080, "faults": { "slow_ms": 10 } },
        "devices": [ {"address": "10.0.0.5"}, {"address": "10.0.0.6", "auth": "none"} ] })");
    EXPECT_EQ(config.devices[0].auth, AuthMode::UsernameToken);
    EXPECT_EQ(config.devices[1].auth, AuthMode::None);
    EXPECT_EQ(config.devices[1].port, 8080);
    EXPECT_EQ(config.devices[1].protocols.http.port, 8080);  // follows the listening port
    EXPECT_EQ(config.devices[1].faults.slow_ms, 10);
}

TEST(Config, GenerateMakesIdentitiesUnique) {
    const auto config = parse_config(R"({
        "defaults": { "serial": "AB", "mac": "ac:cc:8e:00:00:ff", "name": "Cam" },
        "generate": { "count": 3, "first_address": "10.77.0.254", "prefix": 16 } })");
    ASSERT_EQ(config.devices.size(), 3u);
    EXPECT_EQ(config.devices[2].address, "10.77.1.0");
    EXPECT_EQ(config.devices[2].serial, "AB000003");
    EXPECT_EQ(config.devices[1].mac, "ac:cc:8e:00:01:00");
    EXPECT_EQ(config.devices[0].name, "Cam 1");
    EXPECT_NE(config.devices[0].endpoint, config.devices[1].endpoint);
}

TEST(Config, ErrorsNameTheKey) {
    const auto message_of = [](const char* text) {
        try {
            parse_config(text);
        } catch (const ConfigError& error) {
            return std::string(error.what());
        }
        return std::string("no error");
    };
    EXPECT_NE(message_of(R"({ "devices": [ {"address": "10.0.0.5", "colour": 1} ] })").find("devices[0].colour"),
              std::string::npos);
    EXPECT_NE(message_of(R"({ "devices": [ {"address": "10.0.0.5", "faults": {"ops": ["Nope"]}} ] })")
                  .find("devices[0].faults.ops[0]"),
              std::string::npos);
    EXPECT_NE(message_of(R"({ "devices": [ {"address": "1.2.3"} ] })").find("devices[0].address"), std::string::npos);
    EXPECT_NE(message_of(R"({ "devices": [ {"address": "10.0.0.5"}, {"address": "10.0.0.5"} ] })")
                  .find("devices[1].address"),
              std::string::npos);
    EXPECT_NE(message_of("{}").find("no devices"), std::string::npos);
}

TEST(Auth, Base64RoundTrip) {
    const std::string bytes("\x00\xff\x10 abc", 7);
    EXPECT_EQ(base64_decode(base64_encode(bytes)), bytes);
    EXPECT_EQ(base64_encode("ab"), "YWI=");
    EXPECT_FALSE(base64_decode("YW!="));
}

TEST(Auth, ParsesXsdDateTime) {
    const auto utc = parse_xsd_datetime("2024-03-01T12:00:00Z");
    ASSERT_TRUE(utc);
    EXPECT_EQ(parse_xsd_datetime("2024-03-01T13:30:00.250+01:30").value(), *utc + std::chrono::milliseconds(250));
    EXPECT_FALSE(parse_xsd_datetime("yesterday"));
}

// A token built the way ONVIF clients build it: Base64(SHA1(nonce + created + password)).
class UsernameTokenTest : public ::testing::Test {
  protected:
    void SetUp() override {
        created_ = "2024-03-01T12:00:00Z";
        now_ = *parse_xsd_datetime(created_) + std::chrono::seconds(30);
    }
    wsse__UsernameTokenType make_token(const std::string& password) {
        const std::string nonce = "0123456789abcdef";
        const std::string input = nonce + created_ + password;
        unsigned char digest[20];
        SHA1(reinterpret_cast<const unsigned char*>(input.data()), input.size(), digest);
        password_.__item = base64_encode(std::string(reinterpret_cast<char*>(digest), sizeof digest));
        password_.Type = &type_;
        nonce_.__item = base64_encode(nonce);
        wsse__UsernameTokenType token;
        token.Username = "admin";
        token.Password = &password_;
        token.Nonce = &nonce_;
        token.wsu__Created = &created_;
        return token;
    }
    std::string created_;
    std::string type_ = "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-username-token-profile-1.0#PasswordDigest";
    wsse__PasswordString password_;
    wsse__EncodedString nonce_;
    std::chrono::system_clock::time_point now_;
};

TEST_F(UsernameTokenTest, AcceptsTheRightPasswordWithSpecialCharacters) {
    EXPECT_FALSE(check_username_token(make_token("p/a&s<s%w:d"), "p/a&s<s%w:d", now_));
}

TEST_F(UsernameTokenTest, RefusesWrongPasswordSkewAndPasswordText) {
    EXPECT_TRUE(check_username_token(make_token("wrong"), "right", now_));
    EXPECT_TRUE(check_username_token(make_token("pw"), "pw", now_ + std::chrono::minutes(6)));
    auto token = make_token("pw");
    type_ = "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-username-token-profile-1.0#PasswordText";
    EXPECT_TRUE(check_username_token(token, "pw", now_));
}

}  // namespace
}  // namespace simcam
