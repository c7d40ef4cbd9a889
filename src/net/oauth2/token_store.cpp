#include "net/oauth2/token_store.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <memory>

#include <nlohmann/json.hpp>

#include "core/secret.hpp"
#include "wrap/secret_file.hpp"

namespace mailferry::net::oauth2 {
namespace {

using nlohmann::json;

constexpr int store_format = 1;
constexpr const char* suffix = ".json";

Error store_error(ErrorKind kind, std::string text) { return make_error(kind, Radius::fatal, std::move(text)); }

}  // namespace

std::string token_file_name(const std::string& account) {
    static const char hex[] = "0123456789ABCDEF";
    std::string out;
    for (unsigned char c : account) {
        c = static_cast<unsigned char>(std::tolower(c));
        if (std::isalnum(c) || c == '@' || c == '_' || c == '+' || c == '-' || (c == '.' && !out.empty())) {
            out += char(c);
        } else {
            out += '%';
            out += hex[c >> 4];
            out += hex[c & 15];
        }
    }
    return out + suffix;
}

std::string to_json_text(const StoredToken& t) {
    json j = {{"format", store_format},
              {"account", t.account},
              {"provider", t.provider},
              {"flow", t.flow},
              {"client_id", t.client_id},
              {"tenant", t.tenant},
              {"token_url", t.token_url},
              {"scope", t.scope},
              {"client_secret_file", t.client_secret_file},
              {"client_cert_file", t.client_cert_file},
              {"client_key_file", t.client_key_file},
              {"access_token", t.access_token},
              {"refresh_token", t.refresh_token},
              {"obtained_at", t.obtained_at},
              {"expires_at", t.expires_at},
              {"refreshed_at", t.refreshed_at}};
    return j.dump(2) + "\n";
}

Result<StoredToken> from_json_text(const std::string& text, const std::string& path) {
    json j = json::parse(text, nullptr, false);
    if (j.is_discarded() || !j.is_object())
        return store_error(ErrorKind::invalid_data, "the token file " + path + " is damaged (not JSON)");
    if (j.value("format", 0) > store_format)
        return store_error(ErrorKind::usage, "the token file " + path + " was written by a newer mailferry");
    StoredToken t;
    try {
        t.account = j.value("account", "");
        t.provider = j.value("provider", "");
        t.flow = j.value("flow", "");
        t.client_id = j.value("client_id", "");
        t.tenant = j.value("tenant", "");
        t.token_url = j.value("token_url", "");
        t.scope = j.value("scope", "");
        t.client_secret_file = j.value("client_secret_file", "");
        t.client_cert_file = j.value("client_cert_file", "");
        t.client_key_file = j.value("client_key_file", "");
        t.access_token = j.value("access_token", "");
        t.refresh_token = j.value("refresh_token", "");
        t.obtained_at = j.value("obtained_at", int64_t{0});
        t.expires_at = j.value("expires_at", int64_t{0});
        t.refreshed_at = j.value("refreshed_at", int64_t{0});
    } catch (const json::exception&) {
        return store_error(ErrorKind::invalid_data, "the token file " + path + " is damaged (a field has the wrong type)");
    }
    if (t.account.empty() || t.token_url.empty() || t.client_id.empty())
        return store_error(ErrorKind::invalid_data, "the token file " + path + " is incomplete");
    return t;
}

TokenStore::TokenStore(std::string dir) : dir_(std::move(dir)) {
    while (dir_.size() > 1 && dir_.back() == '/') dir_.pop_back();
}

std::string TokenStore::default_dir() {
    const char* xdg = std::getenv("XDG_CONFIG_HOME");
    if (xdg && *xdg == '/') return std::string(xdg) + "/mailferry/tokens";
    const char* home = std::getenv("HOME");
    return std::string(home && *home ? home : ".") + "/.config/mailferry/tokens";
}

std::string TokenStore::path_of(const std::string& account) const { return dir_ + "/" + token_file_name(account); }

Status TokenStore::ensure_dir() const {
    MF_TRY(wrap::make_directories(dir_, 0700));
    // make_directories leaves an existing directory as it was: tighten it.
    if (::chmod(dir_.c_str(), 0700) != 0) return wrap::errno_error("cannot restrict", dir_);
    return {};
}

Result<StoredToken> TokenStore::load(const std::string& account) const {
    const std::string path = path_of(account);
    struct stat st;
    if (::stat(path.c_str(), &st) != 0)
        return store_error(ErrorKind::not_found, "no OAuth2 token for " + account + " in " + dir_ +
                                                     " (run 'mailferry auth login " + account + "' first)");
    // A token file we wrote 0600 that others can read or change has leaked or
    // been tampered with (its token_url decides where the refresh token goes).
    auto file = wrap::read_secret_file(path, "the token file", wrap::OthersMayRead::refuse);
    if (!file) {
        Error e = file.error();
        // Refused for being readable by others (the mode says so): the tokens may have leaked.
        if (st.st_mode & (S_IRGRP | S_IROTH)) e.message += "; revoke its tokens, then 'mailferry auth login' again";
        return e;
    }
    return from_json_text(file->text.reveal(), path);
}

Status TokenStore::save(const StoredToken& token) const {
    MF_TRY(ensure_dir());
    const std::string path = path_of(token.account);
    const std::string tmp = path + ".tmp." + std::to_string(::getpid());
    const SecretString text(to_json_text(token));
    {
        (void)wrap::remove_file(tmp);  // a leftover of a killed run of this pid
        auto fd = wrap::open_file(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
        if (!fd) return fd.error();
        Status written = wrap::write_all(fd->get(), text.reveal().data(), text.size(), tmp);
        if (written) written = wrap::fsync_fd(fd->get(), tmp);
        if (!written) {
            (void)wrap::remove_file(tmp);
            return written;
        }
    }
    if (auto s = wrap::rename_path(tmp, path); !s) {
        (void)wrap::remove_file(tmp);
        return s;
    }
    return wrap::fsync_directory(dir_);
}

Status TokenStore::remove(const std::string& account) const {
    const std::string path = path_of(account);
    if (!wrap::exists(path)) return store_error(ErrorKind::not_found, "no OAuth2 token for " + account + " in " + dir_);
    MF_TRY(wrap::remove_file(path));
    (void)wrap::remove_file(path + ".lock");
    return wrap::fsync_directory(dir_);
}

Result<std::vector<StoredToken>> TokenStore::list() const {
    std::vector<StoredToken> out;
    std::unique_ptr<DIR, int (*)(DIR*)> d(::opendir(dir_.c_str()), ::closedir);
    if (!d) return out;  // no store yet: no accounts
    std::vector<std::string> names;
    while (dirent* e = ::readdir(d.get())) {
        std::string n = e->d_name;
        if (n.size() > 5 && n.compare(n.size() - 5, 5, suffix) == 0) names.push_back(n);
    }
    std::sort(names.begin(), names.end());
    for (const auto& n : names) {
        const std::string path = dir_ + "/" + n;
        auto file = wrap::read_secret_file(path, "the token file", wrap::OthersMayRead::refuse);
        if (!file) return file.error();
        auto t = from_json_text(file->text.reveal(), path);
        if (!t) return t.error();
        out.push_back(std::move(*t));
    }
    return out;
}

Result<wrap::UniqueFd> TokenStore::lock(const std::string& account) const {
    MF_TRY(ensure_dir());
    return wrap::lock_exclusive(path_of(account) + ".lock", /*wait=*/true);
}

}  // namespace mailferry::net::oauth2
