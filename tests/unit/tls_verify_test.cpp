// Which certificates name which server (wrap/tls_verify.hpp): only the
// subjectAltName counts, never the subject's CN; a wildcard covers one label
// of a DNS name and never an IP address; an IP literal needs an IP entry; and
// --ca-file replaces the system's trust store instead of adding to it.
// Certificates are made per run with the openssl command line.
#include <catch2/catch.hpp>

#include <cstdlib>
#include <fstream>
#include <optional>
#include <string>

#include "temp_dir.hpp"
#include "test_files.hpp"
#include "wrap/tls_verify.hpp"

using mailferry::test::ScratchDir;
using mailferry::test::slurp;
using mailferry::wrap::verify_peer_chain;

namespace {

// Two CAs (a, b) and leaves signed by a, each DIR/<name>.der, made by `bash SCRIPT DIR`.
const char* const kMakeCerts = R"sh(set -eu
cd "$1"
ca() {
    openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -keyout "$1.key" -out "$1.pem" \
        -days 30 -subj "/CN=mailferry unit test CA $1" -addext "basicConstraints=critical,CA:TRUE" \
        -addext "keyUsage=critical,keyCertSign" 2>/dev/null
}
leaf() {  # name CA subject-CN [subjectAltName]
    openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -keyout "$1.key" -out "$1.csr" \
        -subj "/CN=$3" 2>/dev/null
    { echo "basicConstraints=CA:FALSE"; echo "extendedKeyUsage=serverAuth"
      [ -n "${4:-}" ] && echo "subjectAltName=$4"; true; } > "$1.ext"
    openssl x509 -req -in "$1.csr" -CA "$2.pem" -CAkey "$2.key" -CAcreateserial -days 30 -extfile "$1.ext" \
        -outform DER -out "$1.der" 2>/dev/null
}
ca a
ca b
leaf cn-localhost a localhost
leaf cn-ip a 127.0.0.1
leaf cn-localhost-san-other a localhost DNS:other.example
leaf cn-ip-san-other a 127.0.0.1 DNS:other.example
leaf wildcard a wildcard "DNS:*.example.test"
leaf partial-wildcard a partial "DNS:m*.example.test"
leaf ip a ip IP:127.0.0.1
leaf ip-as-dns a ip-as-dns DNS:127.0.0.1
leaf good a good "DNS:localhost,IP:127.0.0.1"
leaf good-from-b b good "DNS:localhost,IP:127.0.0.1"
)sh";

struct TestCerts {
    ScratchDir dir{"mf-tls-verify-"};
    TestCerts() {
        {
            std::ofstream script(dir / "make-certs");
            script << kMakeCerts;
        }
        const std::string cmd = "bash '" + dir / "make-certs" + "' '" + dir.path().string() + "'";
        REQUIRE(std::system(cmd.c_str()) == 0);
    }
    std::string ca(const std::string& name) const { return dir / (name + ".pem"); }
    // verify_peer_chain's refusal, or "" when the leaf passes for host against CA a.
    std::string refusal(const std::string& leaf, const std::string& host, const std::string& ca_file = "") const {
        auto status = verify_peer_chain({slurp(dir / (leaf + ".der"))}, host, ca_file.empty() ? ca("a") : ca_file);
        return status ? "" : status.error().message;
    }
};

// Sets an environment variable for one scope: OpenSSL reads SSL_CERT_FILE as
// the system store's location at each X509_STORE_set_default_paths().
class ScopedEnv {
public:
    ScopedEnv(const char* name, const std::string& value) : name_(name) {
        if (const char* old = std::getenv(name)) old_ = old;
        setenv(name, value.c_str(), 1);
    }
    ~ScopedEnv() {
        if (old_) setenv(name_, old_->c_str(), 1);
        else unsetenv(name_);
    }
    ScopedEnv(const ScopedEnv&) = delete;
    ScopedEnv& operator=(const ScopedEnv&) = delete;

private:
    const char* name_;
    std::optional<std::string> old_;
};

}  // namespace

TEST_CASE("tls_verify: the control: a certificate naming localhost and 127.0.0.1 passes for both", "[tls]") {
    TestCerts certs;
    CHECK(certs.refusal("good", "localhost") == "");
    CHECK(certs.refusal("good", "127.0.0.1") == "");
}

TEST_CASE("tls_verify: a certificate without subjectAltName is refused, whatever its CN", "[tls]") {
    TestCerts certs;
    // OpenSSL falls back to the CN when there is no DNS name: refused only with NEVER_CHECK_SUBJECT.
    auto dns = certs.refusal("cn-localhost", "localhost");
    CHECK(dns.find("hostname mismatch") != std::string::npos);
    // IP literals never matched a CN: this one was refused before too.
    CHECK(certs.refusal("cn-ip", "127.0.0.1").find("IP address mismatch") != std::string::npos);
}

TEST_CASE("tls_verify: a CN naming the server counts for nothing beside a subjectAltName for another host",
          "[tls]") {
    TestCerts certs;
    CHECK(certs.refusal("cn-localhost-san-other", "localhost").find("hostname mismatch") != std::string::npos);
    CHECK(certs.refusal("cn-ip-san-other", "127.0.0.1").find("IP address mismatch") != std::string::npos);
    CHECK(certs.refusal("cn-localhost-san-other", "other.example") == "");  // the name it does carry
}

TEST_CASE("tls_verify: a wildcard covers exactly one whole left-most label, and no IP address", "[tls]") {
    TestCerts certs;
    CHECK(certs.refusal("wildcard", "mail.example.test") == "");
    CHECK(certs.refusal("wildcard", "MAIL.Example.Test") == "");  // DNS names compare without case
    CHECK_FALSE(certs.refusal("wildcard", "a.mail.example.test").empty());
    CHECK_FALSE(certs.refusal("wildcard", "example.test").empty());
    CHECK_FALSE(certs.refusal("wildcard", "mail.other.test").empty());
    CHECK_FALSE(certs.refusal("partial-wildcard", "mail.example.test").empty());  // m*: no partial wildcards
}

TEST_CASE("tls_verify: an IP address is matched only by an IP entry for that very address", "[tls]") {
    TestCerts certs;
    CHECK(certs.refusal("ip", "127.0.0.1") == "");
    CHECK(certs.refusal("ip", "127.0.0.2").find("IP address mismatch") != std::string::npos);
    CHECK_FALSE(certs.refusal("ip", "localhost").empty());
    // The address written as a DNS name is not an IP entry.
    CHECK(certs.refusal("ip-as-dns", "127.0.0.1").find("IP address mismatch") != std::string::npos);
}

TEST_CASE("tls_verify: a CA file replaces the system store: a chain from another CA is refused", "[tls]") {
    TestCerts certs;
    // CA b stands in for the system store (OpenSSL's SSL_CERT_FILE): without a CA file it is trusted.
    ScopedEnv system_store("SSL_CERT_FILE", certs.ca("b"));
    auto trusted = verify_peer_chain({slurp(certs.dir / "good-from-b.der")}, "localhost", "");
    INFO((trusted ? "" : trusted.error().message));
    CHECK(trusted);
    // With a CA file, b is trusted no longer: only a is, and b's certificate is refused.
    auto refused = certs.refusal("good-from-b", "localhost", certs.ca("a"));
    CHECK(refused.find("unable to get local issuer certificate") != std::string::npos);
    CHECK(certs.refusal("good", "localhost", certs.ca("a")) == "");
}
