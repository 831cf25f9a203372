// Secrets Sitelink must keep (DDNS passwords, API tokens, TSIG keys) are stored sealed:
// libsodium's secretbox (XSalsa20-Poly1305) under a key kept beside the sites folder, readable by
// its owner only. A site file that is copied, exported or attached to a ticket does not give them
// away; the machine that holds the key (the installer's laptop, the on-site keeper) can use them.
#pragma once
#include <filesystem>
#include <string>

#include "core/error.h"

namespace sitelink::site {

// $SITELINK_SECRET_KEY, else "secret.key" in the folder that holds the sites folder.
std::filesystem::path secret_key_path();

// "v1:" + base64(nonce || ciphertext). Creates the key (mode 0600) on first use.
Result<std::string> seal(const std::string& secret);
// Error if the key is missing or another machine's, or the text was altered.
Result<std::string> unseal(const std::string& sealed);

}  // namespace sitelink::site
