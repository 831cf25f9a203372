// Secrets Sitelink must keep (DDNS passwords, API tokens, TSIG keys) are stored sealed:
// libsodium's secretbox (XSalsa20-Poly1305) under a key kept beside the sites folder, readable by
// its owner only. A site file that is copied, exported or attached to a ticket does not give them
// away; the machine that holds the key (the installer's laptop, the on-site keeper) can use them.
#pragma once
#include <filesystem>
#include <string>

#include <nlohmann/json_fwd.hpp>

#include "core/error.h"

namespace sitelink::site {

// $SITELINK_SECRET_KEY, else "secret.key" in the folder that holds the sites folder.
std::filesystem::path secret_key_path();

// "v1:" + base64(nonce || ciphertext). Creates the key (mode 0600) on first use.
Result<std::string> seal(const std::string& secret);
// Error if the key is missing or another machine's, or the text was altered.
Result<std::string> unseal(const std::string& sealed);

// Secrets that leave the machine (the viewer password in a hand-off bundle or a QR code) are
// sealed under a passphrase or PIN the installer tells the customer instead: Argon2id (libsodium's
// crypto_pwhash, its "interactive" cost, which a phone can afford) derives the secretbox key.
struct PassphraseSealed {
    std::string kdf;    // "argon2id13"
    unsigned long long opslimit = 0;
    std::size_t memlimit = 0;  // bytes
    std::string salt;   // base64
    std::string nonce;  // base64
    std::string box;    // base64 of the secretbox ciphertext (MAC first)
};
Result<PassphraseSealed> seal_with_passphrase(const std::string& secret, const std::string& passphrase);
// Refuses costs beyond what Sitelink ever writes, so a crafted bundle cannot exhaust memory.
Result<std::string> open_with_passphrase(const PassphraseSealed& sealed, const std::string& passphrase);
void to_json(nlohmann::json& j, const PassphraseSealed& v);
// Throws nlohmann::json::exception on missing or mistyped fields.
void from_json(const nlohmann::json& j, PassphraseSealed& v);

}  // namespace sitelink::site
