#include "net/imap/imap_listener.hpp"

#include <algorithm>

#include "core/ascii.hpp"
#include "core/mutf7.hpp"
#include "net/listener_group.hpp"

namespace mailferry::net {
namespace {

// The raw (modified UTF-7) name of the folder to watch.
Result<std::string> raw_name_of(wrap::ImapSession& session, const std::string& folder) {
    if (ascii::iequals(folder, "INBOX")) return std::string("INBOX");
    if (folder.empty() || folder[0] != '\\') return mutf7_encode(folder);
    auto listed = session.list("*", false);
    if (!listed) return listed.error();
    for (const auto& e : *listed)
        for (const auto& a : e.attributes)
            if (ascii::iequals(a, folder)) return e.raw_name;
    return make_error(ErrorKind::not_found, Radius::fatal, "no folder of the source has the special use " + folder);
}

}  // namespace

Result<std::unique_ptr<ChangeListener>> ImapIdleListener::open(const ConnectOptions& options, const std::string& folder) {
    auto connection = ImapConnection::open(options);
    if (!connection) return connection.error();
    if (!(*connection)->has_capability("IDLE"))
        return make_error(ErrorKind::usage, Radius::account, "the server does not offer IDLE");
    auto raw = raw_name_of((*connection)->session(), folder);
    if (!raw) return raw.error();
    auto examined = (*connection)->session().examine(*raw);
    if (!examined) {
        Error e = examined.error();
        if (e.kind == ErrorKind::not_found || e.kind == ErrorKind::protocol) e.radius = Radius::fatal;
        return e.in("folder " + folder + " (IDLE)");
    }
    return std::unique_ptr<ChangeListener>(new ImapIdleListener(std::move(*connection)));
}

Result<std::unique_ptr<ChangeListener>> ImapIdleListener::open_all(const ConnectOptions& options,
                                                                   const std::vector<std::string>& folders) {
    std::vector<std::unique_ptr<ChangeListener>> members;
    for (const auto& f : folders) {
        auto one = open(options, f);
        if (!one) return one.error();
        members.push_back(std::move(*one));
    }
    if (members.size() == 1) return std::move(members[0]);
    return std::unique_ptr<ChangeListener>(new ListenerGroup(std::move(members)));
}

Result<ChangeListener::Wake> ImapIdleListener::wait(std::chrono::milliseconds max_wait, int wake_fd) {
    auto ended = connection_->session().idle(std::min<std::chrono::milliseconds>(max_wait, kMaxIdle), wake_fd);
    if (!ended) return ended.error();
    switch (*ended) {
    case wrap::ImapSession::IdleEnd::changed: return Wake::changed;
    case wrap::ImapSession::IdleEnd::woken: return Wake::woken;
    case wrap::ImapSession::IdleEnd::timed_out: break;
    }
    return Wake::timed_out;
}

}  // namespace mailferry::net
