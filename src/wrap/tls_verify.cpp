#include "wrap/tls_verify.hpp"

#include <arpa/inet.h>
#include <libetpan/libetpan.h>
#include <openssl/err.h>
#include <openssl/x509.h>
#include <openssl/x509_vfy.h>
#include <openssl/x509v3.h>

#include <memory>

namespace mailferry::wrap {
namespace {

struct X509Free {
    void operator()(X509* x) const { X509_free(x); }
};
struct StoreFree {
    void operator()(X509_STORE* s) const { X509_STORE_free(s); }
};
struct StoreCtxFree {
    void operator()(X509_STORE_CTX* c) const { X509_STORE_CTX_free(c); }
};
struct StackFree {
    void operator()(STACK_OF(X509) * s) const { sk_X509_pop_free(s, X509_free); }
};

Error tls_error(std::string text) {
    Error e = make_error(ErrorKind::tls, Radius::account, std::move(text));
    return e;
}

bool is_ip_literal(const std::string& host) {
    unsigned char buf[16];
    return inet_pton(AF_INET, host.c_str(), buf) == 1 || inet_pton(AF_INET6, host.c_str(), buf) == 1;
}

X509* parse_der(const std::string& der) {
    auto p = reinterpret_cast<const unsigned char*>(der.data());
    return d2i_X509(nullptr, &p, static_cast<long>(der.size()));
}

}  // namespace

std::vector<std::string> peer_chain_der(_mailstream* stream) {
    std::vector<std::string> out;
    carray* chain = mailstream_get_certificate_chain(stream);
    if (!chain) return out;
    for (unsigned i = 0; i < carray_count(chain); ++i) {
        auto s = static_cast<MMAPString*>(carray_get(chain, i));
        if (s) out.emplace_back(s->str, s->len);
    }
    mailstream_certificate_chain_free(chain);
    return out;
}

Status verify_peer_chain(const std::vector<std::string>& chain_der, const std::string& host,
                         const std::string& ca_file) {
    if (chain_der.empty()) return tls_error("the server sent no certificate");
    std::unique_ptr<X509, X509Free> leaf(parse_der(chain_der[0]));
    if (!leaf) return tls_error("the server's certificate cannot be parsed");
    std::unique_ptr<STACK_OF(X509), StackFree> intermediates(sk_X509_new_null());
    for (size_t i = 1; i < chain_der.size(); ++i) {
        if (X509* x = parse_der(chain_der[i])) sk_X509_push(intermediates.get(), x);
    }

    std::unique_ptr<X509_STORE, StoreFree> store(X509_STORE_new());
    int loaded = ca_file.empty() ? X509_STORE_set_default_paths(store.get())
                                 : X509_STORE_load_file(store.get(), ca_file.c_str());
    if (loaded != 1) {
        ERR_clear_error();
        return tls_error(ca_file.empty() ? "cannot load the system's trusted certificates"
                                         : "cannot read the CA file " + ca_file);
    }
    std::unique_ptr<X509_STORE_CTX, StoreCtxFree> ctx(X509_STORE_CTX_new());
    X509_STORE_CTX_init(ctx.get(), store.get(), leaf.get(), intermediates.get());
    X509_VERIFY_PARAM* param = X509_STORE_CTX_get0_param(ctx.get());
    X509_VERIFY_PARAM_set_purpose(param, X509_PURPOSE_SSL_SERVER);
    if (is_ip_literal(host)) {
        X509_VERIFY_PARAM_set1_ip_asc(param, host.c_str());
    } else {
        X509_VERIFY_PARAM_set_hostflags(param, X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS);
        X509_VERIFY_PARAM_set1_host(param, host.c_str(), host.size());
    }
    int ok = X509_verify_cert(ctx.get());
    ERR_clear_error();
    if (ok == 1) return {};
    int code = X509_STORE_CTX_get_error(ctx.get());
    std::string why = X509_verify_cert_error_string(code);
    std::string hint = code == X509_V_ERR_HOSTNAME_MISMATCH || code == X509_V_ERR_IP_ADDRESS_MISMATCH
                           ? ""
                           : " (give --ca-file for a private CA)";
    return tls_error("the server's certificate for " + host + " was refused: " + why + hint);
}

}  // namespace mailferry::wrap
