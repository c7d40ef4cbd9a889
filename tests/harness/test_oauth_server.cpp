#include "test_oauth_server.hpp"

#include <cstdio>
#include <fstream>
#include <sstream>
#include <stdexcept>

#include <unistd.h>

#include "harness_util.hpp"

#ifndef MAILFERRY_HARNESS_DIR
#error "MAILFERRY_HARNESS_DIR must be defined (see tests/harness/CMakeLists.txt)"
#endif

namespace mailferry::test {
namespace {

const char* const kWho = "TestOAuthServer";

std::string optional(const std::map<std::string, std::string>& env, const std::string& key) {
    auto it = env.find(key);
    return it == env.end() ? std::string() : it->second;
}

std::string slurp(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) throw std::runtime_error(std::string(kWho) + ": cannot read " + path);
    std::ostringstream s;
    s << in.rdbuf();
    return s.str();
}

std::string chomp(std::string s) {
    while (!s.empty() && (s.back() == '\n' || s.back() == '\r')) s.pop_back();
    return s;
}

// --- json_member: a small scanner over one JSON object ---

void skip_ws(const std::string& j, size_t& i) {
    while (i < j.size() && (j[i] == ' ' || j[i] == '\t' || j[i] == '\n' || j[i] == '\r')) ++i;
}

void append_utf8(std::string& out, unsigned cp) {
    if (cp < 0x80) {
        out += static_cast<char>(cp);
    } else if (cp < 0x800) {
        out += static_cast<char>(0xC0 | (cp >> 6));
        out += static_cast<char>(0x80 | (cp & 0x3F));
    } else if (cp < 0x10000) {
        out += static_cast<char>(0xE0 | (cp >> 12));
        out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
        out += static_cast<char>(0x80 | (cp & 0x3F));
    } else {
        out += static_cast<char>(0xF0 | (cp >> 18));
        out += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
        out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
        out += static_cast<char>(0x80 | (cp & 0x3F));
    }
}

bool read_hex4(const std::string& j, size_t& i, unsigned& v) {
    if (i + 4 > j.size()) return false;
    v = 0;
    for (int k = 0; k < 4; ++k) {
        char c = j[i++];
        v <<= 4;
        if (c >= '0' && c <= '9') v |= static_cast<unsigned>(c - '0');
        else if (c >= 'a' && c <= 'f') v |= static_cast<unsigned>(c - 'a' + 10);
        else if (c >= 'A' && c <= 'F') v |= static_cast<unsigned>(c - 'A' + 10);
        else return false;
    }
    return true;
}

// j[i] == '"': reads the string, i ends after the closing quote.
bool read_string(const std::string& j, size_t& i, std::string& out) {
    ++i;
    out.clear();
    while (i < j.size()) {
        char c = j[i++];
        if (c == '"') return true;
        if (c != '\\') {
            out += c;
            continue;
        }
        if (i >= j.size()) return false;
        char e = j[i++];
        switch (e) {
            case '"': out += '"'; break;
            case '\\': out += '\\'; break;
            case '/': out += '/'; break;
            case 'b': out += '\b'; break;
            case 'f': out += '\f'; break;
            case 'n': out += '\n'; break;
            case 'r': out += '\r'; break;
            case 't': out += '\t'; break;
            case 'u': {
                unsigned cp = 0;
                if (!read_hex4(j, i, cp)) return false;
                if (cp >= 0xD800 && cp < 0xDC00 && i + 6 <= j.size() && j[i] == '\\' && j[i + 1] == 'u') {
                    size_t save = i;
                    i += 2;
                    unsigned lo = 0;
                    if (read_hex4(j, i, lo) && lo >= 0xDC00 && lo < 0xE000)
                        cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
                    else
                        i = save;
                }
                append_utf8(out, cp);
                break;
            }
            default: return false;
        }
    }
    return false;
}

// Skips one value (nested objects and arrays included); RAW gets its text.
bool skip_value(const std::string& j, size_t& i, std::string* raw) {
    skip_ws(j, i);
    size_t start = i;
    if (i >= j.size()) return false;
    if (j[i] == '"') {
        std::string s;
        if (!read_string(j, i, s)) return false;
    } else if (j[i] == '{' || j[i] == '[') {
        int depth = 0;
        while (i < j.size()) {
            char c = j[i];
            if (c == '"') {
                std::string s;
                if (!read_string(j, i, s)) return false;
                continue;
            }
            if (c == '{' || c == '[') ++depth;
            if (c == '}' || c == ']') --depth;
            ++i;
            if (depth == 0) break;
        }
        if (depth != 0) return false;
    } else {
        while (i < j.size() && j[i] != ',' && j[i] != '}' && j[i] != ']' && j[i] != ' ' && j[i] != '\n' &&
               j[i] != '\r' && j[i] != '\t')
            ++i;
    }
    if (raw != nullptr) *raw = j.substr(start, i - start);
    return true;
}

}  // namespace

std::string json_member(const std::string& j, const std::string& name) {
    size_t i = 0;
    skip_ws(j, i);
    if (i >= j.size() || j[i] != '{') return "";
    ++i;
    for (;;) {
        skip_ws(j, i);
        if (i >= j.size() || j[i] == '}') return "";
        if (j[i] != '"') return "";
        std::string key;
        if (!read_string(j, i, key)) return "";
        skip_ws(j, i);
        if (i >= j.size() || j[i] != ':') return "";
        ++i;
        skip_ws(j, i);
        if (key == name) {
            if (i < j.size() && j[i] == '"') {
                std::string value;
                return read_string(j, i, value) ? value : "";
            }
            std::string raw;
            return skip_value(j, i, &raw) ? raw : "";
        }
        if (!skip_value(j, i, nullptr)) return "";
        skip_ws(j, i);
        if (i < j.size() && j[i] == ',') ++i;
    }
}

std::string oauth2_harness_script() {
    return std::string(MAILFERRY_HARNESS_DIR) + "/oauth2/oauth2-harness";
}

TestOAuthServer::TestOAuthServer(OAuthServerOptions options) {
    std::string script = oauth2_harness_script();
    if (access(script.c_str(), X_OK) != 0)
        throw std::runtime_error(std::string(kWho) + ": " + script + " is missing or not executable");

    dir_ = detail::make_temp_dir("mailferry-oauth-");

    std::vector<std::string> args = {"start", dir_};
    for (const auto& u : options.users) {
        args.push_back("--user");
        args.push_back(u);
    }
    auto num = [&args](const char* flag, int value) {
        args.push_back(flag);
        args.push_back(std::to_string(value));
    };
    num("--token-lifetime", options.token_lifetime);
    num("--refresh-lifetime", options.refresh_lifetime);
    num("--device-interval", options.device_interval);
    num("--device-code-lifetime", options.device_code_lifetime);
    num("--slow-down", options.slow_down);
    if (options.port != 0) num("--port", options.port);
    auto str = [&args](const char* flag, const std::string& value) {
        if (value.empty()) return;
        args.push_back(flag);
        args.push_back(value);
    };
    str("--cc-mailbox", options.cc_mailbox);
    str("--alg", options.alg);
    str("--tenant", options.tenant);
    // If this process dies without running the destructor (abort, sanitizer
    // error, SIGKILL), a watchdog stops the server.
    num("--owner-pid", static_cast<int>(getpid()));

    try {
        run(args);
        running_ = true;
        env_file_ = dir_ + "/env";
        env_ = detail::read_env_file(env_file_, kWho);
        auto req = [this](const char* key) -> const std::string& { return detail::require(env_, key, kWho); };
        port_ = detail::require_int(env_, "OAUTH_PORT", kWho);
        pid_ = detail::require_int(env_, "PID", kWho);
        token_lifetime_ = detail::require_int(env_, "TOKEN_LIFETIME", kWho);
        issuer_ = req("ISSUER");
        tenant_ = req("TENANT");
        token_url_ = req("TOKEN_URL");
        device_url_ = req("DEVICE_URL");
        verification_url_ = req("VERIFICATION_URL");
        revoke_url_ = req("REVOKE_URL");
        introspect_url_ = req("INTROSPECT_URL");
        jwks_url_ = req("JWKS_URL");
        discovery_url_ = req("DISCOVERY_URL");
        device_client_id_ = req("DEVICE_CLIENT_ID");
        cc_client_id_ = req("CC_CLIENT_ID");
        cc_client_secret_file_ = req("CC_CLIENT_SECRET_FILE");
        cc_mailbox_ = req("CC_MAILBOX");
        scope_delegated_ = req("SCOPE_DELEGATED");
        scope_app_ = req("SCOPE_APP");
        pubkey_dir_ = req("PUBKEY_DIR");
        jwks_file_ = req("JWKS_FILE");
        signing_key_ = req("SIGNING_KEY");
        alg_ = req("ALG");
        kid_ = req("KID");
        log_path_ = req("LOG");
        cc_cert_client_id_ = optional(env_, "CC_CERT_CLIENT_ID");
        cc_cert_file_ = optional(env_, "CC_CERT_FILE");
        cc_key_file_ = optional(env_, "CC_KEY_FILE");
        cc_cert_x5t_ = optional(env_, "CC_CERT_X5T");
    } catch (...) {
        try {
            stop();
        } catch (...) {
        }
        if (detail::keep_dirs())
            std::fprintf(stderr, "%s: keeping %s\n", kWho, dir_.c_str());
        else
            detail::remove_tree(dir_, kWho);
        throw;
    }
}

TestOAuthServer::~TestOAuthServer() {
    try {
        stop();
    } catch (const std::exception& e) {
        std::fprintf(stderr, "%s: stop failed: %s\n", kWho, e.what());
    } catch (...) {
    }
    if (detail::keep_dirs())
        std::fprintf(stderr, "%s: keeping %s\n", kWho, dir_.c_str());
    else
        detail::remove_tree(dir_, kWho);
}

std::string TestOAuthServer::run(const std::vector<std::string>& args, bool oauth_error_ok) const {
    std::vector<std::string> argv;
    argv.reserve(args.size() + 1);
    argv.push_back(oauth2_harness_script());
    argv.insert(argv.end(), args.begin(), args.end());
    detail::RunResult r = detail::run_process(argv);
    // client.mjs: exit status 1 = an OAuth error, its JSON on stdout.
    if (r.status == 0 || (oauth_error_ok && r.status == 1 && !r.out.empty())) return r.out;
    std::string what = "oauth2-harness";
    if (!args.empty()) what += " " + args[0];
    if (args.size() > 2 && args[0] == "token") what += " " + args[2];
    what += " failed (exit status " + std::to_string(r.status) + ")";
    if (!r.err.empty()) what += ":\n" + r.err;
    if (!r.out.empty()) what += "\nstdout: " + r.out;
    throw std::runtime_error(what);
}

std::string TestOAuthServer::env(const std::string& key) const {
    return optional(env_, key);
}

std::string TestOAuthServer::cc_client_secret() const {
    return chomp(slurp(cc_client_secret_file_));
}

std::string TestOAuthServer::log() const {
    return slurp(log_path_);
}

void TestOAuthServer::approve(const std::string& user_code, const std::string& user, bool deny) const {
    std::vector<std::string> args = {"approve", dir_, user_code, "--user", user};
    if (deny) args.push_back("--deny");
    run(args);
}

std::string TestOAuthServer::token(const std::vector<std::string>& args) const {
    std::vector<std::string> a = {"token", dir_};
    a.insert(a.end(), args.begin(), args.end());
    return chomp(run(a, /*oauth_error_ok=*/true));
}

std::string TestOAuthServer::access_token(const std::vector<std::string>& args) const {
    std::string json = token(args);
    std::string t = json_member(json, "access_token");
    if (t.empty()) throw std::runtime_error(std::string(kWho) + ": no access_token in " + json);
    return t;
}

std::string TestOAuthServer::mint(const std::vector<std::string>& args) const {
    std::vector<std::string> a = {"mint", dir_};
    a.insert(a.end(), args.begin(), args.end());
    return chomp(run(a));
}

void TestOAuthServer::stop() {
    if (!running_) return;
    running_ = false;
    run({"stop", dir_});
}

}  // namespace mailferry::test
