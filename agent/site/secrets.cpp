#include "site/secrets.h"

#include <fcntl.h>
#include <sodium.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <vector>

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
    std::string text(sodium_base64_ENCODED_LEN(box.size(), sodium_base64_VARIANT_ORIGINAL), '\0');
    sodium_bin2base64(text.data(), text.size(), box.data(), box.size(), sodium_base64_VARIANT_ORIGINAL);
    text.resize(std::strlen(text.c_str()));
    return kPrefix + text;
}

Result<std::string> unseal(const std::string& sealed) {
    if (auto ok = ready(); !ok) return ok.error();
    const auto path = secret_key_path();
    const Error damaged{ErrorCode::SiteDatabase, path.string(), "a stored secret is damaged or was sealed with another machine's key",
                        ""};
    if (sealed.rfind(kPrefix, 0) != 0) return damaged;
    const std::string text = sealed.substr(std::strlen(kPrefix));
    std::vector<unsigned char> box(text.size());
    std::size_t length = 0;
    if (sodium_base642bin(box.data(), box.size(), text.c_str(), text.size(), nullptr, &length, nullptr,
                          sodium_base64_VARIANT_ORIGINAL) != 0 ||
        length < crypto_secretbox_NONCEBYTES + crypto_secretbox_MACBYTES)
        return damaged;
    auto k = key(false);
    if (!k) return k.error();
    std::string secret(length - crypto_secretbox_NONCEBYTES - crypto_secretbox_MACBYTES, '\0');
    if (crypto_secretbox_open_easy(reinterpret_cast<unsigned char*>(secret.data()), box.data() + crypto_secretbox_NONCEBYTES,
                                   length - crypto_secretbox_NONCEBYTES, box.data(), k->data()) != 0)
        return damaged;
    return secret;
}

}  // namespace sitelink::site
