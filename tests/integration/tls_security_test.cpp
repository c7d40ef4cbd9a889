// What mailferry must refuse of a server's TLS, against our own hostile server
// (tests/harness/hostile_server), which can do what Dovecot will not: for POP3
// what security_test.cpp checks for IMAP (certificates for another host or out
// of date, STLS stripped), and for both protocols a response injected between
// the OK to STARTTLS/STLS and the handshake (CVE-2011-0411), TLS 1.0, and a CA
// file that replaces the system's trust store. In every refusal no password
// reaches the server: its event log shows no USER, PASS or LOGIN.
#include <catch2/catch.hpp>

#include <algorithm>
#include <cstdlib>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "hostile_server.hpp"
#include "support.hpp"

using namespace mailferry::test;

namespace {

const std::string kPassword = "tls-security-test-password";

struct Run {
    RunResult result;
    std::vector<std::string> server_log;  // the events of this run only

    // Did a credential reach the server?
    bool credential_sent() const {
        for (const auto& line : server_log)
            if (line.find("cmd USER") != std::string::npos || line.find("cmd PASS") != std::string::npos ||
                line.find("cmd LOGIN") != std::string::npos || line.find("cmd AUTH") != std::string::npos)
                return true;
        return false;
    }
};

// `mailferry fetch` from scheme://alice@127.0.0.1:<port of server>, with
// --ca-file ca_file: by default the server's test CA; "" gives none.
Run fetch(const HostileServer& server, const std::string& scheme, std::vector<std::string> extra = {},
          const std::optional<std::string>& ca_file = std::nullopt,
          const std::map<std::string, std::string>& env = {}) {
    TempDir dir;
    const size_t earlier_events = server.log_lines().size();
    std::vector<std::string> args = {"fetch", dir / "cache", "--from",
                                     scheme + "://alice@127.0.0.1:" + std::to_string(server.port()),
                                     "--password-file", write_secret_file(dir / "pw", kPassword), "--no-progress",
                                     "--timeout", "10"};
    const std::string ca = ca_file.value_or(server.ca_file());
    if (!ca.empty()) {
        args.push_back("--ca-file");
        args.push_back(ca);
    }
    args.insert(args.end(), extra.begin(), extra.end());
    Run run{run_mailferry(args, env), {}};
    const auto events = server.log_lines();
    run.server_log.assign(events.begin() + static_cast<std::ptrdiff_t>(std::min(earlier_events, events.size())),
                          events.end());
    UNSCOPED_INFO("exit " << run.result.exit_code << "\n" << run.result.out << run.result.err);
    return run;
}

bool says(const Run& run, const std::string& text) { return run.result.err.find(text) != std::string::npos; }

void check_password_unseen(const Run& run) {
    CHECK_FALSE(run.credential_sent());
    CHECK(run.result.out.find(kPassword) == std::string::npos);
    CHECK(run.result.err.find(kPassword) == std::string::npos);
}

}  // namespace

TEST_CASE("security: POP3: certificates for another host name or out of date are refused before any password is "
          "sent",
          "[security][tls][pop3]") {
    for (const std::string scheme : {"pop3s", "pop3"}) {
        CAPTURE(scheme);
        const std::string script = scheme == "pop3s" ? "pop3-plain" : "pop3-stls";
        {
            HostileServer good(script);
            auto r = fetch(good, scheme);
            CHECK(r.result.exit_code == 0);  // the control: the same CA, a right certificate
        }
        {
            HostileServer other(script, 240, "other-host");
            auto r = fetch(other, scheme);
            CHECK(r.result.exit_code == 4);
            CHECK(says(r, "certificate for 127.0.0.1 was refused"));
            check_password_unseen(r);
        }
        {
            HostileServer expired(script, 240, "expired");
            auto r = fetch(expired, scheme);
            CHECK(r.result.exit_code == 4);
            CHECK(says(r, "expired"));
            check_password_unseen(r);
        }
    }
}

TEST_CASE("security: POP3: an STLS stripped from CAPA is refused, never answered with a plaintext login",
          "[security][tls][pop3]") {
    HostileServer server("pop3-stls-stripped");
    auto r = fetch(server, "pop3");
    CHECK(r.result.exit_code == 4);
    CHECK(says(r, "does not offer STLS"));
    check_password_unseen(r);

    // Only the explicit flag lets the password go in clear, and it says so.
    auto plain = fetch(server, "pop3", {"--allow-plaintext"});
    CHECK(plain.result.exit_code == 0);
    CHECK(says(plain, "the password goes unencrypted"));
}

TEST_CASE("security: POP3: bytes sent after STLS's +OK and before the handshake are refused as an injection",
          "[security][tls][pop3]") {
    {
        HostileServer control("pop3-stls");
        auto r = fetch(control, "pop3");
        CHECK(r.result.exit_code == 0);
    }
    HostileServer server("pop3-stls-injection");
    auto r = fetch(server, "pop3");
    CHECK(r.result.exit_code == 4);
    CHECK(says(r, "the server sent data after its STLS answer: refused (possible injection)"));
    check_password_unseen(r);
}

TEST_CASE("security: IMAP: a response sent after STARTTLS's OK and before the handshake is refused as an injection",
          "[security][tls][imap]") {
    {
        HostileServer control("imap-starttls");
        auto r = fetch(control, "imap");
        CHECK(r.result.exit_code == 0);
    }
    HostileServer server("imap-starttls-injection");
    auto r = fetch(server, "imap");
    CHECK(r.result.exit_code == 4);
    CHECK(says(r, "the server sent data after its STARTTLS answer: refused (possible injection)"));
    check_password_unseen(r);
}

TEST_CASE("security: a server that negotiates TLS 1.0 is refused before any password is sent", "[security][tls]") {
    for (const std::string script : {"imap-tls10", "pop3-tls10"}) {
        CAPTURE(script);
        HostileServer server(script);
        auto r = fetch(server, script.rfind("imap", 0) == 0 ? "imaps" : "pop3s");
        CHECK(r.result.exit_code == 4);
        CHECK(says(r, "negotiated TLS1.0: refused (TLS 1.2 or later is required)"));
        check_password_unseen(r);
    }
}

TEST_CASE("security: --ca-file replaces the system's trust store: a chain from another CA is refused",
          "[security][tls][pop3]") {
    HostileServer server("pop3-plain");
    TempDir other;
    const std::string make = std::string(MAILFERRY_HARNESS_DIR) + "/make-test-certs '" + other / "certs" + "'";
    REQUIRE(std::system(make.c_str()) == 0);
    // The server's CA stands in for the system store (OpenSSL reads SSL_CERT_FILE).
    const std::map<std::string, std::string> system_store = {{"SSL_CERT_FILE", server.ca_file()}};
    auto trusted = fetch(server, "pop3s", {}, "", system_store);
    CHECK(trusted.result.exit_code == 0);  // the control: no --ca-file, the system store verifies it

    auto refused = fetch(server, "pop3s", {}, other / "certs/ca.pem", system_store);
    CHECK(refused.result.exit_code == 4);
    CHECK(says(refused, "unable to get local issuer certificate"));
    check_password_unseen(refused);
}
