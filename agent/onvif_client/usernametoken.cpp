#include "onvif_client/usernametoken.h"

#include <openssl/evp.h>
#include <openssl/rand.h>
#include <openssl/sha.h>

#include "soapH.h"

namespace sitelink::onvif_client {

namespace {
constexpr const char* kPasswordDigestType =
    "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-username-token-profile-1.0#PasswordDigest";
constexpr const char* kBase64Encoding =
    "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-soap-message-security-1.0#Base64Binary";
}  // namespace

std::string base64(const std::vector<std::uint8_t>& bytes) {
    std::string out(4 * ((bytes.size() + 2) / 3), '\0');
    const int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()), bytes.data(),
                                  static_cast<int>(bytes.size()));
    out.resize(static_cast<std::size_t>(n));
    return out;
}

std::string password_digest(const std::vector<std::uint8_t>& nonce, std::string_view created,
                            std::string_view password) {
    std::vector<std::uint8_t> input(nonce);
    input.insert(input.end(), created.begin(), created.end());
    input.insert(input.end(), password.begin(), password.end());
    std::vector<std::uint8_t> digest(SHA_DIGEST_LENGTH);
    SHA1(input.data(), input.size(), digest.data());
    return base64(digest);
}

void add_username_token(struct soap* soap, const std::string& username, const std::string& password,
                        std::time_t device_time) {
    std::vector<std::uint8_t> nonce(16);
    RAND_bytes(nonce.data(), static_cast<int>(nonce.size()));
    const std::string created = utc_timestamp(device_time);

    auto* token = soap_new_wsse__UsernameTokenType(soap);
    token->Username = username;
    token->Password = soap_new_wsse__PasswordString(soap);
    token->Password->__item = password_digest(nonce, created, password);
    token->Password->Type = soap_new_std__string(soap);
    *token->Password->Type = kPasswordDigestType;
    token->Nonce = soap_new_wsse__EncodedString(soap);
    token->Nonce->__item = base64(nonce);
    token->Nonce->EncodingType = soap_new_std__string(soap);
    *token->Nonce->EncodingType = kBase64Encoding;
    token->wsu__Created = soap_new_std__string(soap);
    *token->wsu__Created = created;

    soap_header(soap);
    soap->header->wsse__Security = soap_new__wsse__Security(soap);
    soap->header->wsse__Security->UsernameToken = token;
}

}  // namespace sitelink::onvif_client
