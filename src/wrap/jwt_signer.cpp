#include "wrap/jwt_signer.hpp"

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include <cstdio>
#include <memory>
#include <vector>

#include "core/base64.hpp"

namespace mailferry::wrap {
namespace {

struct FileClose {
    void operator()(FILE* f) const { std::fclose(f); }
};
struct X509Free {
    void operator()(X509* x) const { X509_free(x); }
};
struct PkeyFree {
    void operator()(EVP_PKEY* k) const { EVP_PKEY_free(k); }
};
struct MdCtxFree {
    void operator()(EVP_MD_CTX* c) const { EVP_MD_CTX_free(c); }
};

Error key_error(std::string text) { return make_error(ErrorKind::usage, Radius::fatal, std::move(text)); }

std::string digest_b64url(const X509* cert, const EVP_MD* md) {
    unsigned char buf[EVP_MAX_MD_SIZE];
    unsigned int len = 0;
    X509_digest(cert, md, buf, &len);
    return base64url_encode(std::string_view(reinterpret_cast<char*>(buf), len));
}

}  // namespace

Result<CertificateThumbprints> certificate_thumbprints(const std::string& cert_pem_file) {
    std::unique_ptr<FILE, FileClose> f(std::fopen(cert_pem_file.c_str(), "r"));
    if (!f) return key_error("cannot open the certificate " + cert_pem_file);
    std::unique_ptr<X509, X509Free> cert(PEM_read_X509(f.get(), nullptr, nullptr, nullptr));
    if (!cert) return key_error(cert_pem_file + " holds no PEM certificate");
    return CertificateThumbprints{digest_b64url(cert.get(), EVP_sha1()), digest_b64url(cert.get(), EVP_sha256())};
}

Result<std::string> sign_jwt_rs256(const std::string& header_json, const std::string& payload_json,
                                   const std::string& key_pem_file) {
    std::unique_ptr<FILE, FileClose> f(std::fopen(key_pem_file.c_str(), "r"));
    if (!f) return key_error("cannot open the private key " + key_pem_file);
    // A null passphrase callback with no user data: an encrypted key fails
    // here instead of prompting on the terminal in the middle of a run.
    std::unique_ptr<EVP_PKEY, PkeyFree> key(PEM_read_PrivateKey(f.get(), nullptr, nullptr, const_cast<char*>("")));
    if (!key) return key_error(key_pem_file + " holds no unencrypted PEM private key");
    if (EVP_PKEY_base_id(key.get()) != EVP_PKEY_RSA) return key_error(key_pem_file + " is not an RSA key (RS256 needs one)");
    const std::string signing_input = base64url_encode(header_json) + "." + base64url_encode(payload_json);
    std::unique_ptr<EVP_MD_CTX, MdCtxFree> ctx(EVP_MD_CTX_new());
    size_t len = 0;
    if (!ctx || EVP_DigestSignInit(ctx.get(), nullptr, EVP_sha256(), nullptr, key.get()) != 1 ||
        EVP_DigestSign(ctx.get(), nullptr, &len, reinterpret_cast<const unsigned char*>(signing_input.data()),
                       signing_input.size()) != 1)
        return make_error(ErrorKind::internal, Radius::fatal, "cannot sign with " + key_pem_file);
    std::vector<unsigned char> sig(len);
    if (EVP_DigestSign(ctx.get(), sig.data(), &len, reinterpret_cast<const unsigned char*>(signing_input.data()),
                       signing_input.size()) != 1)
        return make_error(ErrorKind::internal, Radius::fatal, "cannot sign with " + key_pem_file);
    return signing_input + "." + base64url_encode(std::string_view(reinterpret_cast<char*>(sig.data()), len));
}

}  // namespace mailferry::wrap
