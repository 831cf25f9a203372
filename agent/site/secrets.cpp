#include "site/secrets.h"

#include <fcntl.h>
#include <sodium.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <optional>
#include <vector>

#include <nlohmann/json.hpp>

#include "site/site_db.h"

namespace sitelink::site {

namespace {

constexpr const char* kPrefix = "v1:";
using Key = std::vector<unsigned char>;

Error key_error(const std::filesystem::path& path, const std::string& what, int err = 0) {
    return Error{ErrorCode::Precondition, path.string(), what + (err ? std::string(": ") + std::strerror(err) : ""),
                 err ? "errno " + std::to_string(err) : ""};
}

Result<Key> read_key(const std::filesystem::path& path) {
    const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) return key_error(path, "cannot read the secret key", errno);
    Key key(crypto_secretbox_KEYBYTES);
    const ssize_t n = ::read(fd, key.data(), key.size());
    ::close(fd);
    if (n != static_cast<ssize_t>(key.size())) return key_error(path, "the secret key file is damaged (wrong size)");
    return key;
}

// The key, created on first use. O_EXCL: two processes starting at once cannot both write one.
Result<Key> key(bool create) {
    const auto path = secret_key_path();
    if (::access(path.c_str(), F_OK) == 0 || !create) return read_key(path);
    std::error_code ec;
    std::filesystem::create_directories(path.parent_path(), ec);
    const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (fd < 0) return errno == EEXIST ? read_key(path) : key_error(path, "cannot create the secret key", errno);
    Key fresh(crypto_secretbox_KEYBYTES);
    randombytes_buf(fresh.data(), fresh.size());
    const bool written = ::write(fd, fresh.data(), fresh.size()) == static_cast<ssize_t>(fresh.size()) && ::fsync(fd) == 0;
    ::close(fd);
    if (!written) return key_error(path, "cannot write the secret key", errno);
    return fresh;
}

std::string to_base64(const unsigned char* data, std::size_t size) {
    std::string text(sodium_base64_ENCODED_LEN(size, sodium_base64_VARIANT_ORIGINAL), '\0');
    sodium_bin2base64(text.data(), text.size(), data, size, sodium_base64_VARIANT_ORIGINAL);
    text.resize(std::strlen(text.c_str()));
    return text;
}

std::optional<std::vector<unsigned char>> from_base64(const std::string& text) {
    std::vector<unsigned char> bytes(text.size());
    std::size_t length = 0;
    if (sodium_base642bin(bytes.data(), bytes.size(), text.c_str(), text.size(), nullptr, &length, nullptr,
                          sodium_base64_VARIANT_ORIGINAL) != 0)
        return std::nullopt;
    bytes.resize(length);
    return bytes;
}

Result<Done> ready() {
    if (sodium_init() < 0) return Error{ErrorCode::Precondition, "libsodium", "cannot initialise", ""};
    return Done{};
}

}  // namespace

std::filesystem::path secret_key_path() {
    if (const char* env = std::getenv("SITELINK_SECRET_KEY"); env && *env) return env;
    return sites_directory().parent_path() / "secret.key";
}

Result<std::string> seal(const std::string& secret) {
    if (auto ok = ready(); !ok) return ok.error();
    auto k = key(true);
    if (!k) return k.error();
    std::vector<unsigned char> box(crypto_secretbox_NONCEBYTES + crypto_secretbox_MACBYTES + secret.size());
    randombytes_buf(box.data(), crypto_secretbox_NONCEBYTES);
    crypto_secretbox_easy(box.data() + crypto_secretbox_NONCEBYTES, reinterpret_cast<const unsigned char*>(secret.data()),
                          secret.size(), box.data(), k->data());
    return kPrefix + to_base64(box.data(), box.size());
}

Result<std::string> unseal(const std::string& sealed) {
    if (auto ok = ready(); !ok) return ok.error();
    const auto path = secret_key_path();
    const Error damaged{ErrorCode::SiteDatabase, path.string(), "a stored secret is damaged or was sealed with another machine's key",
                        ""};
    if (sealed.rfind(kPrefix, 0) != 0) return damaged;
    const auto decoded = from_base64(sealed.substr(std::strlen(kPrefix)));
    if (!decoded || decoded->size() < crypto_secretbox_NONCEBYTES + crypto_secretbox_MACBYTES) return damaged;
    const std::vector<unsigned char>& box = *decoded;
    const std::size_t length = box.size();
    auto k = key(false);
    if (!k) return k.error();
    std::string secret(length - crypto_secretbox_NONCEBYTES - crypto_secretbox_MACBYTES, '\0');
    if (crypto_secretbox_open_easy(reinterpret_cast<unsigned char*>(secret.data()), box.data() + crypto_secretbox_NONCEBYTES,
                                   length - crypto_secretbox_NONCEBYTES, box.data(), k->data()) != 0)
        return damaged;
    return secret;
}

namespace {
constexpr const char* kPassphraseKdf = "argon2id13";
}  // namespace

Result<PassphraseSealed> seal_with_passphrase(const std::string& secret, const std::string& passphrase) {
    if (auto ok = ready(); !ok) return ok.error();
    unsigned char salt[crypto_pwhash_SALTBYTES];
    unsigned char nonce[crypto_secretbox_NONCEBYTES];
    randombytes_buf(salt, sizeof salt);
    randombytes_buf(nonce, sizeof nonce);
    PassphraseSealed sealed{kPassphraseKdf, crypto_pwhash_OPSLIMIT_INTERACTIVE, crypto_pwhash_MEMLIMIT_INTERACTIVE, "", "", ""};
    unsigned char key[crypto_secretbox_KEYBYTES];
    if (crypto_pwhash(key, sizeof key, passphrase.data(), passphrase.size(), salt, sealed.opslimit, sealed.memlimit,
                      crypto_pwhash_ALG_ARGON2ID13) != 0)
        return Error{ErrorCode::Precondition, "libsodium", "not enough memory to derive a key from the passphrase", ""};
    std::vector<unsigned char> box(crypto_secretbox_MACBYTES + secret.size());
    crypto_secretbox_easy(box.data(), reinterpret_cast<const unsigned char*>(secret.data()), secret.size(), nonce, key);
    sodium_memzero(key, sizeof key);
    sealed.salt = to_base64(salt, sizeof salt);
    sealed.nonce = to_base64(nonce, sizeof nonce);
    sealed.box = to_base64(box.data(), box.size());
    return sealed;
}

Result<std::string> open_with_passphrase(const PassphraseSealed& sealed, const std::string& passphrase) {
    if (auto ok = ready(); !ok) return ok.error();
    auto damaged = [](const std::string& why) { return Error{ErrorCode::MalformedAnswer, "sealed secret", why, ""}; };
    if (sealed.kdf != kPassphraseKdf) return damaged("unknown key derivation '" + sealed.kdf + "' (this Sitelink knows " + kPassphraseKdf + ")");
    if (sealed.opslimit < crypto_pwhash_OPSLIMIT_MIN || sealed.opslimit > crypto_pwhash_OPSLIMIT_SENSITIVE ||
        sealed.memlimit < crypto_pwhash_MEMLIMIT_MIN || sealed.memlimit > crypto_pwhash_MEMLIMIT_MODERATE)
        return damaged("the key derivation's cost is outside what Sitelink writes");
    const auto salt = from_base64(sealed.salt);
    const auto nonce = from_base64(sealed.nonce);
    const auto box = from_base64(sealed.box);
    if (!salt || salt->size() != crypto_pwhash_SALTBYTES || !nonce || nonce->size() != crypto_secretbox_NONCEBYTES || !box ||
        box->size() < crypto_secretbox_MACBYTES)
        return damaged("the salt, nonce or ciphertext is not what Sitelink writes");
    unsigned char key[crypto_secretbox_KEYBYTES];
    if (crypto_pwhash(key, sizeof key, passphrase.data(), passphrase.size(), salt->data(), sealed.opslimit, sealed.memlimit,
                      crypto_pwhash_ALG_ARGON2ID13) != 0)
        return Error{ErrorCode::Precondition, "libsodium", "not enough memory to derive a key from the passphrase", ""};
    std::string secret(box->size() - crypto_secretbox_MACBYTES, '\0');
    const int opened = crypto_secretbox_open_easy(reinterpret_cast<unsigned char*>(secret.data()), box->data(), box->size(),
                                                  nonce->data(), key);
    sodium_memzero(key, sizeof key);
    if (opened != 0)
        return Error{ErrorCode::AuthFailed, "sealed secret", "wrong passphrase or PIN, or the sealed text was altered", ""};
    return secret;
}

void to_json(nlohmann::json& j, const PassphraseSealed& v) {
    j = {{"kdf", v.kdf}, {"opslimit", v.opslimit}, {"memlimit", v.memlimit}, {"salt", v.salt}, {"nonce", v.nonce}, {"box", v.box}};
}

void from_json(const nlohmann::json& j, PassphraseSealed& v) {
    v.kdf = j.at("kdf").get<std::string>();
    v.opslimit = j.at("opslimit").get<unsigned long long>();
    v.memlimit = j.at("memlimit").get<std::size_t>();
    v.salt = j.at("salt").get<std::string>();
    v.nonce = j.at("nonce").get<std::string>();
    v.box = j.at("box").get<std::string>();
}

}  // namespace sitelink::site
