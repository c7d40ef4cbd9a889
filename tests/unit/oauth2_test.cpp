// The pieces of OAuth2 that need no server: base64, SASL responses, provider
// table and endpoint policy, token answers, the token store, renewal timing.
// The flows themselves run against a real authorization server in
// tests/integration/oauth2_test.cpp.
#include <catch2/catch.hpp>

#include <sys/stat.h>

#include <boost/filesystem.hpp>

#include "core/base64.hpp"
#include "net/oauth2/provider.hpp"
#include "net/oauth2/token_endpoint.hpp"
#include "net/oauth2/token_source.hpp"
#include "net/oauth2/token_store.hpp"
#include "net/sasl.hpp"
#include "wrap/http_client.hpp"
#include "wrap/posix_file.hpp"

using namespace mailferry;
using namespace mailferry::net::oauth2;
namespace fs = boost::filesystem;

namespace {

struct TempDir {
    fs::path path = fs::temp_directory_path() / fs::unique_path("mf-oauth2-test-%%%%%%%%");
    ~TempDir() { fs::remove_all(path); }
    std::string str(const std::string& sub = "") const { return (path / sub).string(); }
};

StoredToken sample_token() {
    StoredToken t;
    t.account = "Alice@Example.com";
    t.provider = "microsoft";
    t.flow = "device";
    t.client_id = "11111111-2222-3333-4444-555555555555";
    t.tenant = "organizations";
    t.token_url = "https://login.microsoftonline.com/organizations/oauth2/v2.0/token";
    t.scope = "https://outlook.office.com/IMAP.AccessAsUser.All offline_access";
    t.access_token = "eyJ.access.token";
    t.refresh_token = "0.refresh";
    t.obtained_at = 1700000000;
    t.expires_at = 1700003600;
    return t;
}

mode_t mode_of(const std::string& path) {
    struct stat st;
    REQUIRE(::stat(path.c_str(), &st) == 0);
    return st.st_mode & 07777;
}

}  // namespace

TEST_CASE("base64 encodes and decodes RFC 4648 vectors", "[oauth2]") {
    const std::pair<const char*, const char*> vectors[] = {
        {"", ""}, {"f", "Zg=="}, {"fo", "Zm8="}, {"foo", "Zm9v"}, {"foob", "Zm9vYg=="}, {"fooba", "Zm9vYmE="},
        {"foobar", "Zm9vYmFy"}};
    for (auto [plain, encoded] : vectors) {
        CHECK(base64_encode(plain) == encoded);
        CHECK(base64_decode(encoded) == std::optional<std::string>(plain));
    }
    CHECK(base64url_encode("\xfb\xff") == "-_8");
    CHECK_FALSE(base64_decode("Zm9v YmFy").has_value());
    CHECK_FALSE(base64_decode("Z").has_value());
}

TEST_CASE("XOAUTH2 is user, bearer token and two ctrl-A, as office365.md gives it", "[oauth2]") {
    CHECK(net::xoauth2_response("someuser@example.com", "ya29.vF9dft4qmTc2Nvb3RlckBhdHRhdmlzdGEuY29tCg").reveal() ==
          std::string("user=someuser@example.com\x01" "auth=Bearer ya29.vF9dft4qmTc2Nvb3RlckBhdHRhdmlzdGEuY29tCg\x01\x01"));
    // Google's documented example of the encoded form.
    CHECK(base64_encode(net::xoauth2_response("someuser@example.com", "ya29.vF9dft4qmTc2Nvb3RlckBhdHRhdmlzdGEuY29tCg").reveal()) ==
          "dXNlcj1zb21ldXNlckBleGFtcGxlLmNvbQFhdXRoPUJlYXJlciB5YTI5LnZGOWRmdDRxbVRjMk52YjNSbGNrQmhkSFJoZG1semRHRXVZMjl0Q2cBAQ==");
}

TEST_CASE("OAUTHBEARER follows RFC 7628 and escapes the saslname", "[oauth2]") {
    CHECK(net::oauthbearer_response("user@example.com", "server.example.com", 143, "vF9dft4qmTc2Nvb3RlckBhbHRhdmlzdGEuY29tCg==").reveal() ==
          std::string("n,a=user@example.com,\x01host=server.example.com\x01port=143\x01"
                      "auth=Bearer vF9dft4qmTc2Nvb3RlckBhbHRhdmlzdGEuY29tCg==\x01\x01"));
    CHECK(net::oauthbearer_response("a,b=c", "h", 993, "t").reveal().rfind("n,a=a=2Cb=3Dc,", 0) == 0);
}

TEST_CASE("providers: endpoints, tenants and scopes", "[oauth2]") {
    auto ms = provider_endpoints("microsoft", "");
    REQUIRE(ms.ok());
    CHECK(ms->device_code_url == "https://login.microsoftonline.com/organizations/oauth2/v2.0/devicecode");
    CHECK(ms->token_url == "https://login.microsoftonline.com/organizations/oauth2/v2.0/token");
    CHECK(ms->app_scope == "https://outlook.office365.com/.default");
    CHECK(ms->delegated_scope.find("offline_access") != std::string::npos);
    CHECK(provider_endpoints("microsoft", "contoso.onmicrosoft.com")->token_url ==
          "https://login.microsoftonline.com/contoso.onmicrosoft.com/oauth2/v2.0/token");
    CHECK(provider_endpoints("google", "")->delegated_scope == "https://mail.google.com/");
    CHECK_FALSE(provider_endpoints("google", "x").ok());
    CHECK_FALSE(provider_endpoints("yahoo", "").ok());
    CHECK(provider_for_host("Outlook.Office365.com") == "microsoft");
    CHECK(provider_for_host("imap.gmail.com") == "google");
    CHECK(provider_for_host("mail.example.com").empty());
}

TEST_CASE("OAuth2 endpoints: https anywhere, http only on loopback", "[oauth2]") {
    CHECK(check_endpoint_url("https://login.microsoftonline.com/x").ok());
    CHECK(check_endpoint_url("http://127.0.0.1:8080/token").ok());
    CHECK(check_endpoint_url("http://localhost/token").ok());
    CHECK(check_endpoint_url("http://[::1]:99/token").ok());
    CHECK_FALSE(check_endpoint_url("http://login.example.com/token").ok());
    CHECK_FALSE(check_endpoint_url("http://127.0.0.1.evil.example/token").ok());
    CHECK_FALSE(check_endpoint_url("ftp://127.0.0.1/token").ok());
}

TEST_CASE("OAuth2 endpoints are read as libcurl reads them: user info is refused, not taken for the host",
          "[oauth2]") {
    // A hand split once took "localhost:80" for the host; curl connects to evil.example.
    for (const char* bad : {"http://localhost:80@evil.example/token", "http://127.0.0.1@evil.example/token",
                            "https://user:pw@login.example.com/token", "http://[::1]@evil.example/",
                            "http://localhost%2eevil.example/token", "not a url", ""}) {
        CAPTURE(bad);
        auto r = check_endpoint_url(bad);
        REQUIRE_FALSE(r.ok());
        CHECK(r.error().message.find("pw") == std::string::npos);
    }
    CHECK(check_endpoint_url("HTTP://LOCALHOST:8080/token").ok());
    CHECK(check_endpoint_url("http://127.1.2.3/token").ok());
}

TEST_CASE("token answers: numbers or strings for expires_in, and no token is an error", "[oauth2]") {
    auto g = parse_token_answer(R"({"access_token":"a","refresh_token":"r","expires_in":3599,"scope":"s"})", "u");
    REQUIRE(g.ok());
    CHECK(g->access_token == "a");
    CHECK(g->refresh_token == "r");
    CHECK(g->expires_in == 3599);
    CHECK(parse_token_answer(R"({"access_token":"a","expires_in":"3600"})", "u")->expires_in == 3600);
    CHECK_FALSE(parse_token_answer(R"({"token_type":"Bearer"})", "u").ok());
    CHECK_FALSE(parse_token_answer("<html>", "u").ok());
}

TEST_CASE("form encoding escapes what a token endpoint must not misread", "[oauth2]") {
    CHECK(wrap::form_encode({{"scope", "a b/c"}, {"x", "1&2=3"}}) == "scope=a%20b%2Fc&x=1%262%3D3");
}

TEST_CASE("token store: 0700 directory, 0600 file, round trip, no path from an account", "[oauth2]") {
    TempDir t;
    TokenStore store(t.str("deep/tokens"));
    StoredToken tok = sample_token();
    REQUIRE(store.save(tok).ok());
    CHECK(mode_of(store.dir()) == 0700);
    CHECK(mode_of(store.path_of(tok.account)) == 0600);
    CHECK(store.path_of(tok.account) == store.dir() + "/alice@example.com.json");
    auto back = store.load("alice@EXAMPLE.com");
    REQUIRE(back.ok());
    CHECK(back->refresh_token == tok.refresh_token);
    CHECK(back->expires_at == tok.expires_at);
    CHECK(back->scope == tok.scope);

    tok.refresh_token = "rotated";
    REQUIRE(store.save(tok).ok());  // atomic replace
    CHECK(store.load(tok.account)->refresh_token == "rotated");
    CHECK(store.list()->size() == 1);
    CHECK(fs::directory_iterator(store.dir()) != fs::directory_iterator());

    CHECK(token_file_name("../../etc/passwd") == "%2E.%2F..%2Fetc%2Fpasswd.json");
    CHECK(token_file_name("a/b") == "a%2Fb.json");

    REQUIRE(store.remove(tok.account).ok());
    CHECK(store.load(tok.account).error().kind == ErrorKind::not_found);
    CHECK(store.remove(tok.account).error().kind == ErrorKind::not_found);
}

TEST_CASE("token store refuses a token file that others can read", "[oauth2]") {
    TempDir t;
    TokenStore store(t.str("tokens"));
    REQUIRE(store.save(sample_token()).ok());
    ::chmod(store.path_of("alice@example.com").c_str(), 0644);
    auto loaded = store.load("alice@example.com");
    REQUIRE_FALSE(loaded.ok());
    CHECK(loaded.error().message.find("can be read by other users") != std::string::npos);
    CHECK(loaded.error().message.find("eyJ") == std::string::npos);
}

TEST_CASE("a damaged or newer token file is reported, not trusted", "[oauth2]") {
    CHECK(from_json_text("{", "f").error().kind == ErrorKind::invalid_data);
    CHECK(from_json_text(R"({"format":99,"account":"a","token_url":"u","client_id":"c"})", "f").error().kind ==
          ErrorKind::usage);
    CHECK(from_json_text(R"({"format":1,"account":"a"})", "f").error().kind == ErrorKind::invalid_data);
}

TEST_CASE("access tokens are renewed a quarter of their life (at most 5 minutes) before expiry", "[oauth2]") {
    StoredToken t = sample_token();  // one hour
    CHECK_FALSE(TokenSource::needs_renewal(t, t.expires_at - 301));
    CHECK(TokenSource::needs_renewal(t, t.expires_at - 300));
    t.obtained_at = 1000;
    t.expires_at = 1060;  // a 60-second test token
    CHECK_FALSE(TokenSource::needs_renewal(t, 1044));
    CHECK(TokenSource::needs_renewal(t, 1045));
    t.expires_at = 0;  // the server never said
    CHECK_FALSE(TokenSource::needs_renewal(t, 99999999));
    t.access_token.clear();
    CHECK(TokenSource::needs_renewal(t, 0));
}
