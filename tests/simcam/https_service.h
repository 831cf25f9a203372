// The HTTPS side of a simulated camera: its web page over TLS, so a port forward of 443 leads to
// something that really answers. GET / gives a tiny page naming the device (manufacturer, model,
// serial); other paths 404; one request per connection. The certificate is self-signed and made
// in memory at start, one EC P-256 key and certificate (CN=sitelink-simcam) for every device, as
// unverifiable as a camera's factory certificate.
#pragma once

#include <openssl/ssl.h>

#include <memory>
#include <string>

#include "device.h"

namespace simcam {

class TlsServerContext {
  public:
    // Generates the key and certificate. Throws std::runtime_error if OpenSSL fails.
    TlsServerContext();

    SSL_CTX* get() const { return context_.get(); }

  private:
    struct Free {
        void operator()(SSL_CTX* context) const { SSL_CTX_free(context); }
    };
    std::unique_ptr<SSL_CTX, Free> context_;
};

// Runs the TLS handshake and answers one request, all within one deadline, then closes. Takes
// ownership of fd. Runs on a worker thread.
void serve_https_connection(int fd, const Device& device, const TlsServerContext& tls, const std::string& peer);

}  // namespace simcam
