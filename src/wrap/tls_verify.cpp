#include "wrap/tls_verify.hpp"

#include <arpa/inet.h>
#include <gnutls/gnutls.h>
#include <libetpan/libetpan.h>
#include <sys/socket.h>
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
    // Only the subjectAltName names the server (RFC 6125 §6.4.4, RFC 9525):
    // OpenSSL would otherwise take the CN of a certificate without DNS names.
    // An IP literal is matched against IP address entries only, whatever the flags.
    X509_VERIFY_PARAM_set_hostflags(param, X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS | X509_CHECK_FLAG_NEVER_CHECK_SUBJECT);
    if (is_ip_literal(host)) X509_VERIFY_PARAM_set1_ip_asc(param, host.c_str());
    else X509_VERIFY_PARAM_set1_host(param, host.c_str(), host.size());
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

namespace {

// The start of struct mailstream_ssl_context as libetpan 1.9 defines it when
// built with GnuTLS (mailstream_ssl.c; Debian's build): not a public type.
// libetpan exposes no way to the negotiated version, and the version cannot be
// restricted before the handshake either: libetpan calls our callback before
// it sets its own priority string ("NORMAL", which allows TLS 1.0), so
// whatever the callback set would be overwritten. Hence the session is taken
// here and the version checked after the handshake, before anything is sent.
struct LibetpanGnutlsContextHead {
    int fd;
    gnutls_session_t session;
};

// Only a build whose layout we know: libetpan 1.9, GnuTLS (an OpenSSL build
// has an SSL_CTX where GnuTLS has the session), the fd where the public getter
// finds it. Any other build leaves the session unknown, and require_tls12()
// then refuses rather than guess.
bool layout_is_known(mailstream_ssl_context* context) {
    return libetpan_get_version_major() == 1 && libetpan_get_version_minor() == 9 &&
           mailstream_ssl_get_openssl_ssl_ctx(context) == nullptr &&
           reinterpret_cast<const LibetpanGnutlsContextHead*>(context)->fd == mailstream_ssl_get_fd(context);
}

}  // namespace

void on_tls_setup(mailstream_ssl_context* context, void* data) {
    auto setup = static_cast<TlsSetup*>(data);
    if (!context) return;  // libetpan was out of memory: no SNI, and the session stays unknown
    if (!setup->server_name.empty())
        mailstream_ssl_set_server_name(context, const_cast<char*>(setup->server_name.c_str()));
    if (!layout_is_known(context)) return;
    setup->gnutls_session = reinterpret_cast<const LibetpanGnutlsContextHead*>(context)->session;
    setup->libetpan_context = context;
}

Status require_tls12(const TlsSetup& setup, const std::string& where) {
    auto session = static_cast<gnutls_session_t>(setup.gnutls_session);
    // libetpan hands its context to the session (gnutls_session_set_ptr) after
    // our callback: the same pointer confirms that this is that session.
    if (!session || gnutls_session_get_ptr(session) != setup.libetpan_context)
        return tls_error("cannot tell which TLS version " + where +
                         " negotiated (a libetpan other than 1.9 with GnuTLS): refused");
    gnutls_protocol_t version = gnutls_protocol_get_version(session);
    if (version >= GNUTLS_TLS1_2 && version < GNUTLS_DTLS_VERSION_MIN) return {};  // DTLS counts from 200
    const char* name = gnutls_protocol_get_name(version);
    return tls_error(where + " negotiated " + (name ? std::string(name) : std::string("an unknown TLS version")) +
                     ": refused (TLS 1.2 or later is required)");
}

Status refuse_data_before_handshake(_mailstream* stream, const std::string& command) {
    if (!stream) return tls_error("no connection for " + command);
    // Bytes in libetpan's read buffer came with the OK; bytes waiting on the
    // socket came after it. Neither may come at all: the server's next word is
    // its part of the handshake, which waits for our ClientHello. libetpan (as
    // Debian patched it) also refuses the first kind, but as a plain STARTTLS
    // failure, and its older versions do not: this check is ours either way.
    bool sent = stream->read_buffer_len != 0;
    if (!sent) {
        int fd = mailstream_low_get_fd(mailstream_get_low(stream));
        char byte;
        sent = fd >= 0 && recv(fd, &byte, 1, MSG_PEEK | MSG_DONTWAIT) > 0;
    }
    if (sent) return tls_error("the server sent data after its " + command + " answer: refused (possible injection)");
    return {};
}

Status switch_to_tls(_mailstream* stream, int timeout_seconds, const std::string& host) {
    // What libetpan's mailimap_socket_starttls_with_callback() does after the
    // command, done here so that the checks above come before the handshake.
    TlsSetup setup{host};
    mailstream_low* plain = stream ? mailstream_get_low(stream) : nullptr;
    int fd = plain ? mailstream_low_get_fd(plain) : -1;
    mailstream_low* tls =
        fd < 0 ? nullptr : mailstream_low_tls_open_with_callback_timeout(fd, timeout_seconds, on_tls_setup, &setup);
    if (!tls) return tls_error("TLS handshake with " + host + " failed");
    // Freeing a plain layer leaves its socket open: TLS goes on over it.
    mailstream_low_free(plain);
    mailstream_set_low(stream, tls);
    return require_tls12(setup, host);
}

}  // namespace mailferry::wrap
