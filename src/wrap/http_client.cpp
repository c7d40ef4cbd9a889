#include "wrap/http_client.hpp"

#include <curl/curl.h>

#include <memory>
#include <mutex>

namespace mailferry::wrap {
namespace {

constexpr size_t max_response_bytes = 1 << 20;  // token answers are a few KB

struct CurlFree {
    void operator()(CURL* c) const { curl_easy_cleanup(c); }
};
struct SlistFree {
    void operator()(curl_slist* l) const { curl_slist_free_all(l); }
};

void global_init_once() {
    static std::once_flag once;
    std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
}

size_t collect(char* data, size_t size, size_t count, void* user) {
    auto* body = static_cast<std::string*>(user);
    size_t n = size * count;
    if (body->size() + n > max_response_bytes) return 0;  // makes curl fail with CURLE_WRITE_ERROR
    body->append(data, n);
    return n;
}

Error transport_error(CURLcode rc, const std::string& url, const char* detail) {
    std::string why = detail && *detail ? detail : curl_easy_strerror(rc);
    switch (rc) {
    case CURLE_PEER_FAILED_VERIFICATION:
    case CURLE_SSL_CACERT_BADFILE:
    case CURLE_SSL_CERTPROBLEM:
    case CURLE_SSL_CONNECT_ERROR:
        return make_error(ErrorKind::tls, Radius::account, "cannot verify the TLS certificate of " + url + ": " + why);
    case CURLE_UNSUPPORTED_PROTOCOL:
    case CURLE_URL_MALFORMAT:
        return make_error(ErrorKind::usage, Radius::fatal, "cannot use the URL " + url + ": " + why);
    case CURLE_WRITE_ERROR:
        return make_error(ErrorKind::protocol, Radius::account, url + " answered with more than 1 MB");
    default: {
        Error e = make_error(ErrorKind::temporary, Radius::account, "cannot reach " + url + ": " + why);
        e.retry = Retry::later;
        return e;
    }
    }
}

}  // namespace

std::string form_encode(const FormFields& fields) {
    global_init_once();
    std::string out;
    for (const auto& [name, value] : fields) {
        if (!out.empty()) out += '&';
        // curl_easy_escape needs no handle since 7.82 (NULL is allowed).
        std::unique_ptr<char, decltype(&curl_free)> n(curl_easy_escape(nullptr, name.data(), int(name.size())), curl_free);
        std::unique_ptr<char, decltype(&curl_free)> v(curl_easy_escape(nullptr, value.data(), int(value.size())), curl_free);
        if (!n || !v) throw std::bad_alloc();
        out += n.get();
        out += '=';
        out += v.get();
    }
    return out;
}

Result<HttpResponse> http_post_form(const std::string& url, const FormFields& fields, const HttpOptions& options) {
    global_init_once();
    std::unique_ptr<CURL, CurlFree> curl(curl_easy_init());
    if (!curl) return make_error(ErrorKind::internal, Radius::fatal, "libcurl could not start");
    const std::string body = form_encode(fields);
    HttpResponse response;
    char detail[CURL_ERROR_SIZE] = "";
    std::unique_ptr<curl_slist, SlistFree> headers(curl_slist_append(nullptr, "Accept: application/json"));
    CURL* c = curl.get();
    curl_easy_setopt(c, CURLOPT_URL, url.c_str());
    curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 0L);
    curl_easy_setopt(c, CURLOPT_SSL_VERIFYPEER, 1L);
    curl_easy_setopt(c, CURLOPT_SSL_VERIFYHOST, 2L);
    if (!options.ca_file.empty()) curl_easy_setopt(c, CURLOPT_CAINFO, options.ca_file.c_str());
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);  // threads: no SIGALRM for DNS timeouts
    curl_easy_setopt(c, CURLOPT_TIMEOUT, long(options.timeout_seconds));
    curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT, long(std::min(options.timeout_seconds, 30)));
    curl_easy_setopt(c, CURLOPT_USERAGENT, "mailferry/" MAILFERRY_VERSION);
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, headers.get());
    curl_easy_setopt(c, CURLOPT_POSTFIELDS, body.c_str());
    curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE, long(body.size()));
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, collect);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, &response.body);
    curl_easy_setopt(c, CURLOPT_ERRORBUFFER, detail);
    CURLcode rc = curl_easy_perform(c);
    if (rc != CURLE_OK) return transport_error(rc, url, detail);
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &response.status);
    return response;
}

}  // namespace mailferry::wrap

namespace mailferry::wrap {
namespace {

struct CurlUrlFree {
    void operator()(CURLU* u) const { curl_url_cleanup(u); }
};
struct CurlStringFree {
    void operator()(char* s) const { curl_free(s); }
};

// One part of a parsed URL; "" when the URL has none.
std::string url_part(CURLU* u, CURLUPart part) {
    char* raw = nullptr;
    if (curl_url_get(u, part, &raw, 0) != CURLUE_OK || raw == nullptr) return "";
    std::unique_ptr<char, CurlStringFree> owned(raw);
    return raw;
}

}  // namespace

Result<UrlParts> parse_url(const std::string& url) {
    std::unique_ptr<CURLU, CurlUrlFree> u(curl_url());
    if (!u) return make_error(ErrorKind::internal, Radius::fatal, "out of memory parsing a URL");
    if (curl_url_set(u.get(), CURLUPART_URL, url.c_str(), 0) != CURLUE_OK)
        return make_error(ErrorKind::invalid_data, Radius::fatal, "not a URL libcurl can read");
    UrlParts p;
    p.scheme = url_part(u.get(), CURLUPART_SCHEME);
    for (char& c : p.scheme) c = static_cast<char>(c >= 'A' && c <= 'Z' ? c + 32 : c);
    p.host = url_part(u.get(), CURLUPART_HOST);
    p.has_userinfo = !url_part(u.get(), CURLUPART_USER).empty() || !url_part(u.get(), CURLUPART_PASSWORD).empty() ||
                     !url_part(u.get(), CURLUPART_OPTIONS).empty();
    return p;
}

}  // namespace mailferry::wrap
