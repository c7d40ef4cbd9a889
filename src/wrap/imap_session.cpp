#include "wrap/imap_session.hpp"

#include <libetpan/libetpan.h>

#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cstring>

#include "core/ascii.hpp"
#include "core/clock.hpp"
#include "wrap/deflate_stream.hpp"
#include "wrap/stream_guard.hpp"
#include "wrap/tls_verify.hpp"

// libetpan's own connect helper (connect.h, which Debian does not install):
// opening the stream ourselves lets the guard read the greeting too.
extern "C" int mail_tcp_connect_timeout(const char* server, uint16_t port, time_t timeout);

namespace mailferry::wrap {
namespace {

// libetpan needs a progress callback to take its streaming FETCH path, the only
// one that calls the per-message handler (docs/dependencies.md).
void ignore_progress(size_t, size_t, void*) {}

struct FetchContext {
    const std::function<void(const MessageAttributes&)>* on_message;
    mailstream* stream;
};

// A command's reply: generous in time (a LIST or SEARCH of a large account);
// the per-read timeout still bounds any silence.
StreamLimits command_limits(int timeout) {
    StreamLimits l;
    l.grace_seconds = std::max(600, 10 * timeout);
    return l;
}

// One message's FETCH response: the whole-message deadline, and room for the
// largest message we take plus its lines.
StreamLimits message_limits(int timeout, uint64_t max_message_size) {
    StreamLimits l;
    l.grace_seconds = std::max(1, timeout);
    l.max_bytes = max_message_size + 2 * l.max_line;
    return l;
}

void read_flags(const mailimap_msg_att_dynamic* dyn, MessageAttributes& out) {
    out.has_flags = true;
    if (!dyn || !dyn->att_list) return;
    for (clistiter* it = clist_begin(dyn->att_list); it; it = clist_next(it)) {
        auto ff = static_cast<mailimap_flag_fetch*>(clist_content(it));
        if (ff->fl_type != MAILIMAP_FLAG_FETCH_OTHER || !ff->fl_flag) continue;
        const mailimap_flag* f = ff->fl_flag;
        switch (f->fl_type) {
        case MAILIMAP_FLAG_ANSWERED: out.flags.answered = true; break;
        case MAILIMAP_FLAG_FLAGGED: out.flags.flagged = true; break;
        case MAILIMAP_FLAG_DELETED: out.flags.deleted = true; break;
        case MAILIMAP_FLAG_SEEN: out.flags.seen = true; break;
        case MAILIMAP_FLAG_DRAFT: out.flags.draft = true; break;
        case MAILIMAP_FLAG_KEYWORD:
            if (f->fl_data.fl_keyword) out.flags.add_imap(f->fl_data.fl_keyword);
            break;
        case MAILIMAP_FLAG_EXTENSION:
            if (f->fl_data.fl_extension) out.flags.add_imap(std::string("\\") + f->fl_data.fl_extension);
            break;
        default: break;
        }
    }
}

void read_static(const mailimap_msg_att_static* st, MessageAttributes& out) {
    switch (st->att_type) {
    case MAILIMAP_MSG_ATT_UID: out.uid = st->att_data.att_uid; break;
    case MAILIMAP_MSG_ATT_RFC822_SIZE: out.size = st->att_data.att_rfc822_size; break;
    case MAILIMAP_MSG_ATT_INTERNALDATE: {
        const mailimap_date_time* d = st->att_data.att_internal_date;
        if (!d) break;
        // Out-of-range fields (month 13, zone -9999) from a broken server: no
        // INTERNALDATE, so the caller falls back to the message's own dates.
        auto t = epoch_from_fields(d->dt_year, d->dt_month, d->dt_day, d->dt_hour, d->dt_min, d->dt_sec, d->dt_zone);
        if (!t) break;
        out.internaldate = *t;
        out.has_internaldate = true;
        break;
    }
    case MAILIMAP_MSG_ATT_BODY_SECTION: {
        const mailimap_msg_att_body_section* b = st->att_data.att_body_section;
        if (!b) break;
        std::string_view part = b->sec_body_part ? std::string_view(b->sec_body_part, b->sec_length) : std::string_view();
        // BODY[] has no section; BODY[HEADER.FIELDS (...)] has one.
        if (b->sec_section && b->sec_section->sec_spec) {
            out.header_fields = part;
        } else {
            out.has_body = true;
            out.body = part;
        }
        break;
    }
    default: break;
    }
}

void on_msg_att(mailimap_msg_att* att, void* context) {
    auto ctx = static_cast<FetchContext*>(context);
    MessageAttributes out;
    for (clistiter* it = clist_begin(att->att_list); it; it = clist_next(it)) {
        auto item = static_cast<mailimap_msg_att_item*>(clist_content(it));
        if (item->att_type == MAILIMAP_MSG_ATT_ITEM_DYNAMIC) read_flags(item->att_data.att_dyn, out);
        else if (item->att_type == MAILIMAP_MSG_ATT_ITEM_STATIC) read_static(item->att_data.att_static, out);
    }
    (*ctx->on_message)(out);
    // Each message's response is a reply of its own to the guard.
    if (StreamGuard* g = stream_guard_of(ctx->stream)) g->rearm();
}

using ascii::upper;

}  // namespace

void ImapSession::Free::operator()(mailimap* m) const { mailimap_free(m); }

ImapSession::ImapSession(int timeout_seconds, uint64_t max_message_size)
    : imap_(mailimap_new(0, nullptr)), timeout_(timeout_seconds), max_message_size_(max_message_size) {
    mailimap_set_timeout(imap_.get(), timeout_seconds);
}

ImapSession::~ImapSession() {
    if (connected_) (void)logout();
}

Error ImapSession::error_from(int rc, const std::string& what) const {
    if (StreamGuard* g = stream_guard_of(stream()); g && g->stopped()) return stream_error(what);
    ErrorKind kind = ErrorKind::protocol;
    Radius radius = Radius::account;
    switch (rc) {
    case MAILIMAP_ERROR_STREAM:
    case MAILIMAP_ERROR_CONNECTION_REFUSED:
    case MAILIMAP_ERROR_DONT_ACCEPT_CONNECTION:
        kind = ErrorKind::temporary;
        break;
    case MAILIMAP_ERROR_LOGIN: kind = ErrorKind::auth; break;
    case MAILIMAP_ERROR_SSL:
    case MAILIMAP_ERROR_STARTTLS: kind = ErrorKind::tls; break;
    case MAILIMAP_ERROR_EXAMINE:
    case MAILIMAP_ERROR_SELECT: kind = ErrorKind::not_found; radius = Radius::folder; break;
    case MAILIMAP_ERROR_UID_FETCH:
    case MAILIMAP_ERROR_FETCH: kind = ErrorKind::protocol; radius = Radius::folder; break;
    case MAILIMAP_ERROR_MEMORY: kind = ErrorKind::internal; break;
    default: break;
    }
    Error e = make_error(kind, radius, what);
    if (rc == MAILIMAP_ERROR_STREAM) e.message += ": the connection was lost";
    else if (rc == MAILIMAP_ERROR_PARSE) e.message += ": unreadable response from the server";
    if (kind == ErrorKind::temporary) e.retry = Retry::later;
    if (rc != MAILIMAP_ERROR_STREAM && rc != MAILIMAP_ERROR_CONNECTION_REFUSED) e.server_text = last_response();
    return e;
}

int ImapSession::start(mailstream* opened) {
    if (!install_stream_guard(opened, command_limits(timeout_))) {
        mailstream_close(opened);
        return MAILIMAP_ERROR_MEMORY;
    }
    // libetpan puts its own logger on the stream when it connects, which
    // calls the session's: the --debug trace hangs there, greeting included.
    trace_ = open_protocol_trace();
    if (trace_)
        mailimap_set_logger(
            imap_.get(),
            [](mailimap*, int type, const char* str, size_t size, void* trace) { protocol_trace_log(trace, type, str, size); },
            trace_.get());
    return mailimap_connect(imap_.get(), opened);
}

Status ImapSession::connect_tls(const std::string& host, uint16_t port) {
    sni_host_ = host;
    TlsSetup tls{host};
    // mailimap_ssl_connect_with_callback() as libetpan writes it, with the guard
    // in place before the greeting is read, and the TLS version checked first.
    int rc = MAILIMAP_ERROR_CONNECTION_REFUSED;
    if (int fd = mail_tcp_connect_timeout(host.c_str(), port, timeout_); fd >= 0) {
        mailstream* s = mailstream_ssl_open_with_callback_timeout(fd, timeout_, on_tls_setup, &tls);
        if (!s) close(fd);
        if (Status modern = s ? require_tls12(tls, host + ":" + std::to_string(port)) : Status{}; !modern) {
            mailstream_close(s);
            return modern;
        }
        rc = s ? start(s) : MAILIMAP_ERROR_SSL;
    }
    if (rc != MAILIMAP_NO_ERROR_AUTHENTICATED && rc != MAILIMAP_NO_ERROR_NON_AUTHENTICATED) {
        Error e = error_from(rc, "cannot connect over TLS to " + host + ":" + std::to_string(port));
        if (rc == MAILIMAP_ERROR_SSL) e.message = "TLS handshake with " + host + ":" + std::to_string(port) + " failed";
        return e;
    }
    connected_ = true;
    preauth_ = rc == MAILIMAP_NO_ERROR_AUTHENTICATED;
    return {};
}

Status ImapSession::connect_plain(const std::string& host, uint16_t port) {
    int rc = MAILIMAP_ERROR_CONNECTION_REFUSED;
    if (int fd = mail_tcp_connect_timeout(host.c_str(), port, timeout_); fd >= 0) {
        mailstream* s = mailstream_socket_open_timeout(fd, timeout_);
        if (!s) close(fd);
        rc = s ? start(s) : MAILIMAP_ERROR_MEMORY;
    }
    if (rc != MAILIMAP_NO_ERROR_AUTHENTICATED && rc != MAILIMAP_NO_ERROR_NON_AUTHENTICATED)
        return error_from(rc, "cannot connect to " + host + ":" + std::to_string(port));
    connected_ = true;
    preauth_ = rc == MAILIMAP_NO_ERROR_AUTHENTICATED;
    return {};
}

Status ImapSession::starttls(const std::string& host) {
    sni_host_ = host;
    // mailimap_socket_starttls_with_callback() in two steps, so that nothing
    // the server slipped in after its OK is read as if it came over TLS.
    int rc = mailimap_starttls(imap_.get());
    if (Status clean = refuse_data_before_handshake(stream(), "STARTTLS"); !clean) {
        abandon();  // out of step: no LOGOUT in plain text
        return clean;
    }
    if (rc != MAILIMAP_NO_ERROR) {
        Error e = error_from(rc, "STARTTLS with " + host + " failed");
        e.kind = ErrorKind::tls;
        return e;
    }
    if (Status tls = switch_to_tls(stream(), timeout_, host); !tls) {
        abandon();  // no TLS to say LOGOUT over, or one we refuse to speak
        return tls;
    }
    // The TLS layer replaced the guarded plain one: guard it again.
    if (!install_stream_guard(stream(), command_limits(timeout_)))
        return make_error(ErrorKind::internal, Radius::account, "out of memory after STARTTLS");
    return {};
}

Result<std::vector<std::string>> ImapSession::capability() {
    mailimap_capability_data* data = nullptr;
    int rc = mailimap_capability(imap_.get(), &data);
    if (rc != MAILIMAP_NO_ERROR) return error_from(rc, "CAPABILITY failed");
    std::vector<std::string> caps;
    for (clistiter* it = clist_begin(data->cap_list); it; it = clist_next(it)) {
        auto c = static_cast<struct mailimap_capability*>(clist_content(it));
        if (c->cap_type == MAILIMAP_CAPABILITY_AUTH_TYPE && c->cap_data.cap_auth_type)
            caps.push_back("AUTH=" + upper(c->cap_data.cap_auth_type));
        else if (c->cap_type == MAILIMAP_CAPABILITY_NAME && c->cap_data.cap_name)
            caps.push_back(upper(c->cap_data.cap_name));
    }
    mailimap_capability_data_free(data);
    return caps;
}

Status ImapSession::login(const std::string& user, const std::string& password) {
    // libetpan's LOGIN does not mark the password private: a --debug trace would show it.
    mailstream_set_privacy(stream(), 0);
    int rc = mailimap_login(imap_.get(), user.c_str(), password.c_str());
    if (imap_->imap_stream) mailstream_set_privacy(stream(), 1);
    if (rc == MAILIMAP_NO_ERROR) return {};
    Error e = error_from(rc, "login as " + user + " refused");
    if (rc == MAILIMAP_ERROR_LOGIN) e.kind = ErrorKind::auth;
    return e;
}

Status ImapSession::simple_command(const std::string& command) {
    int rc = mailimap_custom_command(imap_.get(), command.c_str());
    if (rc != MAILIMAP_NO_ERROR) return error_from(rc, command + " failed");
    return {};
}

Result<std::vector<ListEntry>> ImapSession::list(const std::string& pattern, bool use_xlist) {
    clist* result = nullptr;
    int rc = use_xlist ? mailimap_xlist(imap_.get(), "", pattern.c_str(), &result)
                       : mailimap_list(imap_.get(), "", pattern.c_str(), &result);
    if (rc != MAILIMAP_NO_ERROR) return error_from(rc, "LIST failed");
    std::vector<ListEntry> out;
    for (clistiter* it = clist_begin(result); it; it = clist_next(it)) {
        auto mb = static_cast<mailimap_mailbox_list*>(clist_content(it));
        ListEntry e;
        e.raw_name = mb->mb_name ? mb->mb_name : "";
        e.delimiter = mb->mb_delimiter;
        if (const mailimap_mbx_list_flags* fl = mb->mb_flag) {
            if (fl->mbf_type == MAILIMAP_MBX_LIST_FLAGS_SFLAG) {
                if (fl->mbf_sflag == MAILIMAP_MBX_LIST_SFLAG_NOSELECT) e.attributes.push_back("\\Noselect");
                else if (fl->mbf_sflag == MAILIMAP_MBX_LIST_SFLAG_MARKED) e.attributes.push_back("\\Marked");
                else if (fl->mbf_sflag == MAILIMAP_MBX_LIST_SFLAG_UNMARKED) e.attributes.push_back("\\Unmarked");
            }
            for (clistiter* o = clist_begin(fl->mbf_oflags); o; o = clist_next(o)) {
                auto of = static_cast<mailimap_mbx_list_oflag*>(clist_content(o));
                if (of->of_type == MAILIMAP_MBX_LIST_OFLAG_NOINFERIORS) e.attributes.push_back("\\Noinferiors");
                else if (of->of_flag_ext)
                    e.attributes.push_back(of->of_flag_ext[0] == '\\' ? std::string(of->of_flag_ext)
                                                                      : std::string("\\") + of->of_flag_ext);
            }
        }
        out.push_back(std::move(e));
    }
    mailimap_list_result_free(result);
    return out;
}

Result<SelectInfo> ImapSession::examine(const std::string& raw_name, bool with_modseq) {
    SelectInfo info;
    int rc = with_modseq ? mailimap_examine_condstore(imap_.get(), raw_name.c_str(), &info.highest_modseq)
                         : mailimap_examine(imap_.get(), raw_name.c_str());
    if (rc != MAILIMAP_NO_ERROR) return error_from(rc, "cannot open the folder");
    if (const mailimap_selection_info* s = imap_->imap_selection_info) {
        info.uidvalidity = s->sel_uidvalidity;
        info.uidnext = s->sel_uidnext;
        info.exists = s->sel_exists;
    }
    return info;
}

namespace {

// HIGHESTMODSEQ in a STATUS reply comes as CONDSTORE extension data (64 bits).
uint64_t modseq_of(const mailimap_status_info* info) {
    const mailimap_extension_data* ext = info->st_ext_data;
    if (info->st_att != MAILIMAP_STATUS_ATT_EXTENSION || !ext || !ext->ext_extension ||
        ext->ext_extension->ext_id != MAILIMAP_EXTENSION_CONDSTORE || ext->ext_type != MAILIMAP_CONDSTORE_TYPE_STATUS_INFO)
        return 0;
    return static_cast<const mailimap_condstore_status_info*>(ext->ext_data)->cs_highestmodseq_value;
}

}  // namespace

Result<SelectInfo> ImapSession::status(const std::string& raw_name, bool with_modseq) {
    mailimap_status_att_list* atts = mailimap_status_att_list_new_empty();
    for (int att : {MAILIMAP_STATUS_ATT_UIDVALIDITY, MAILIMAP_STATUS_ATT_UIDNEXT, MAILIMAP_STATUS_ATT_MESSAGES})
        mailimap_status_att_list_add(atts, att);
    if (with_modseq) mailimap_status_att_list_add(atts, MAILIMAP_STATUS_ATT_HIGHESTMODSEQ);
    mailimap_mailbox_data_status* result = nullptr;
    int rc = mailimap_status(imap_.get(), raw_name.c_str(), atts, &result);
    mailimap_status_att_list_free(atts);
    if (rc != MAILIMAP_NO_ERROR) return error_from(rc, "STATUS failed");
    SelectInfo info;
    for (clistiter* it = result && result->st_info_list ? clist_begin(result->st_info_list) : nullptr; it;
         it = clist_next(it)) {
        const auto* s = static_cast<const mailimap_status_info*>(clist_content(it));
        switch (s->st_att) {
        case MAILIMAP_STATUS_ATT_UIDVALIDITY: info.uidvalidity = s->st_value; break;
        case MAILIMAP_STATUS_ATT_UIDNEXT: info.uidnext = s->st_value; break;
        case MAILIMAP_STATUS_ATT_MESSAGES: info.exists = s->st_value; break;
        case MAILIMAP_STATUS_ATT_HIGHESTMODSEQ: info.highest_modseq = s->st_value; break;
        default: info.highest_modseq = std::max(info.highest_modseq, modseq_of(s)); break;
        }
    }
    if (result) mailimap_mailbox_data_status_free(result);
    return info;
}

Status ImapSession::uid_fetch(const UidRanges& ranges, unsigned items,
                              const std::function<void(const MessageAttributes&)>& on_message) {
    if (ranges.empty()) return {};
    mailimap_set* set = mailimap_set_new_empty();
    for (const auto& [first, last] : ranges) mailimap_set_add_interval(set, first, last);
    mailimap_fetch_type* type = mailimap_fetch_type_new_fetch_att_list_empty();
    if (items & fetch_uid) mailimap_fetch_type_new_fetch_att_list_add(type, mailimap_fetch_att_new_uid());
    if (items & fetch_flags) mailimap_fetch_type_new_fetch_att_list_add(type, mailimap_fetch_att_new_flags());
    if (items & fetch_internaldate)
        mailimap_fetch_type_new_fetch_att_list_add(type, mailimap_fetch_att_new_internaldate());
    if (items & fetch_size) mailimap_fetch_type_new_fetch_att_list_add(type, mailimap_fetch_att_new_rfc822_size());
    if (items & fetch_body)
        mailimap_fetch_type_new_fetch_att_list_add(
            type, mailimap_fetch_att_new_body_peek_section(mailimap_section_new(nullptr)));

    if (items & fetch_message_id) {
        clist* names = clist_new();
        clist_append(names, strdup("MESSAGE-ID"));
        mailimap_fetch_type_new_fetch_att_list_add(
            type, mailimap_fetch_att_new_body_peek_section(
                      mailimap_section_new_header_fields(mailimap_header_list_new(names))));
    }

    FetchContext ctx{&on_message, stream()};
    mailimap_set_msg_att_handler(imap_.get(), on_msg_att, &ctx);
    mailimap_set_progress_callback(imap_.get(), ignore_progress, nullptr, nullptr);
    clist* result = nullptr;
    int rc = mailimap_uid_fetch(imap_.get(), set, type, &result);
    mailimap_set_msg_att_handler(imap_.get(), nullptr, nullptr);
    mailimap_set_progress_callback(imap_.get(), nullptr, nullptr, nullptr);
    if (result) mailimap_fetch_list_free(result);
    mailimap_fetch_type_free(type);
    mailimap_set_free(set);
    if (rc != MAILIMAP_NO_ERROR) return error_from(rc, "UID FETCH failed");
    return {};
}

Status ImapSession::logout() {
    if (!connected_) return {};
    connected_ = false;
    // A short wait: a server that is gone must not hold up the end of a run.
    mailimap_set_timeout(imap_.get(), 5);
    int rc = mailimap_logout(imap_.get());
    if (rc != MAILIMAP_NO_ERROR) return error_from(rc, "LOGOUT failed");
    return {};
}

Result<SelectInfo> ImapSession::select(const std::string& raw_name, bool* keywords_allowed) {
    int rc = mailimap_select(imap_.get(), raw_name.c_str());
    if (rc != MAILIMAP_NO_ERROR) return error_from(rc, "cannot select the folder");
    SelectInfo info;
    if (const mailimap_selection_info* s = imap_->imap_selection_info) {
        info.uidvalidity = s->sel_uidvalidity;
        info.uidnext = s->sel_uidnext;
        info.exists = s->sel_exists;
        if (keywords_allowed) {
            *keywords_allowed = false;
            for (clistiter* it = s->sel_perm_flags ? clist_begin(s->sel_perm_flags) : nullptr; it; it = clist_next(it)) {
                auto fp = static_cast<mailimap_flag_perm*>(clist_content(it));
                if (fp->fl_type == MAILIMAP_FLAG_PERM_ALL) *keywords_allowed = true;
            }
        }
    }
    return info;
}

bool ImapSession::is_listed(const std::string& raw_name) {
    // The name as a LIST pattern: a '%' or '*' in it matches more, so compare exactly.
    auto entries = list(raw_name, false);
    if (!entries) return false;
    for (const auto& e : *entries)
        if (e.raw_name == raw_name) return true;
    return false;
}

Status ImapSession::create(const std::string& raw_name) {
    int rc = mailimap_create(imap_.get(), raw_name.c_str());
    if (rc == MAILIMAP_NO_ERROR) return {};
    std::string text = last_response();
    // RFC 5530's [ALREADYEXISTS] says so plainly. A server without response
    // codes may only say it in words: then the folder must be listed to count
    // (any NO whose text happened to contain "exists" once passed as success).
    if (text.find("[ALREADYEXISTS]") != std::string::npos) return {};
    std::string lower;
    for (char c : text) lower += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    if (rc == MAILIMAP_ERROR_CREATE && lower.find("already exists") != std::string::npos && is_listed(raw_name))
        return {};
    Error e = error_from(rc, "cannot create the folder");
    // The server's refusal concerns this folder; a lost line concerns the
    // connection, which the caller replaces (the folder is not at fault).
    if (e.kind != ErrorKind::temporary) e.radius = Radius::folder;
    return e;
}

Status ImapSession::subscribe(const std::string& raw_name) {
    int rc = mailimap_subscribe(imap_.get(), raw_name.c_str());
    if (rc != MAILIMAP_NO_ERROR) return error_from(rc, "cannot subscribe to the folder");
    return {};
}

Result<std::vector<uint32_t>> ImapSession::uid_search(mailimap_search_key* key) {
    clist* result = nullptr;
    int rc = mailimap_uid_search(imap_.get(), nullptr, key, &result);
    mailimap_search_key_free(key);
    if (rc != MAILIMAP_NO_ERROR) return error_from(rc, "UID SEARCH failed");
    std::vector<uint32_t> uids;
    for (clistiter* it = clist_begin(result); it; it = clist_next(it))
        uids.push_back(*static_cast<uint32_t*>(clist_content(it)));
    mailimap_search_result_free(result);
    return uids;
}

Result<std::vector<uint32_t>> ImapSession::uid_search_header(const std::string& field, const std::string& value) {
    mailimap_search_key* key = mailimap_search_key_new_header(strdup(field.c_str()), strdup(value.c_str()));
    return uid_search(key);
}

namespace {

mailimap_date* imap_day(int64_t epoch) {
    CivilTime c = civil_from_epoch(epoch);
    return mailimap_date_new(c.day, c.month, c.year);
}

}  // namespace

Result<std::vector<uint32_t>> ImapSession::uid_search_size_date(uint64_t size, int64_t received) {
    if (size == 0 || size >= UINT32_MAX) return std::vector<uint32_t>{};
    mailimap_search_key* key = mailimap_search_key_new_multiple_empty();
    mailimap_search_key_multiple_add(key, mailimap_search_key_new_larger(static_cast<uint32_t>(size - 1)));
    mailimap_search_key_multiple_add(key, mailimap_search_key_new_smaller(static_cast<uint32_t>(size + 1)));
    mailimap_search_key_multiple_add(key, mailimap_search_key_new_since(imap_day(received - 2 * 86400)));
    mailimap_search_key_multiple_add(key, mailimap_search_key_new_before(imap_day(received + 2 * 86400)));
    return uid_search(key);
}

Status ImapSession::uid_store_flags(const UidRanges& ranges, const Flags& system_flags, bool add) {
    // One UID STORE per piece of at most 4,000 bytes of UIDs: a folder's
    // scattered UIDs in one command would pass Exchange's line limit.
    for (const UidRanges& piece : split_uid_set(ranges, 4000)) {
        mailimap_flag_list* flags = mailimap_flag_list_new_empty();
        if (system_flags.seen) mailimap_flag_list_add(flags, mailimap_flag_new_seen());
        if (system_flags.answered) mailimap_flag_list_add(flags, mailimap_flag_new_answered());
        if (system_flags.flagged) mailimap_flag_list_add(flags, mailimap_flag_new_flagged());
        if (system_flags.draft) mailimap_flag_list_add(flags, mailimap_flag_new_draft());
        if (clist_count(flags->fl_list) == 0) {
            mailimap_flag_list_free(flags);
            return {};
        }
        mailimap_set* set = mailimap_set_new_empty();
        for (const auto& [first, last] : piece) mailimap_set_add_interval(set, first, last);
        mailimap_store_att_flags* att = add ? mailimap_store_att_flags_new_add_flags_silent(flags)
                                            : mailimap_store_att_flags_new_remove_flags_silent(flags);
        int rc = mailimap_uid_store(imap_.get(), set, att);
        mailimap_store_att_flags_free(att);
        mailimap_set_free(set);
        if (rc != MAILIMAP_NO_ERROR) return error_from(rc, "UID STORE failed");
    }
    return {};
}

Status ImapSession::uid_delete(const UidRanges& ranges) {
    for (const UidRanges& piece : split_uid_set(ranges, 4000)) {
        auto set_of = [&piece] {
            mailimap_set* set = mailimap_set_new_empty();
            for (const auto& [first, last] : piece) mailimap_set_add_interval(set, first, last);
            return set;
        };
        mailimap_flag_list* flags = mailimap_flag_list_new_empty();
        mailimap_flag_list_add(flags, mailimap_flag_new_deleted());
        mailimap_store_att_flags* att = mailimap_store_att_flags_new_add_flags_silent(flags);
        mailimap_set* set = set_of();
        int rc = mailimap_uid_store(imap_.get(), set, att);
        mailimap_store_att_flags_free(att);
        mailimap_set_free(set);
        if (rc != MAILIMAP_NO_ERROR) return error_from(rc, "UID STORE +FLAGS (\\Deleted) failed");
        set = set_of();
        rc = mailimap_uid_expunge(imap_.get(), set);
        mailimap_set_free(set);
        if (rc != MAILIMAP_NO_ERROR) return error_from(rc, "UID EXPUNGE failed");
    }
    return {};
}

_mailstream* ImapSession::stream() const { return imap_->imap_stream; }

std::string ImapSession::last_response() const {
    std::string text = imap_->imap_response ? imap_->imap_response : "";
    for (char& c : text)
        if (c == '\r' || c == '\n') c = ' ';
    return text.substr(0, 300);
}

std::string ImapSession::start_deflate() {
    mailstream* s = stream();
    remove_stream_guard(s);
    std::string error = install_deflate_layer(s);
    if (!install_stream_guard(s, command_limits(timeout_)) && error.empty()) error = "out of memory";
    return error;
}

std::string ImapSession::next_tag() { return "mfr" + std::to_string(++next_tag_); }

Status ImapSession::send_line(const std::string& line) {
    mailstream* s = stream();
    std::string data = line + "\r\n";
    if (!s || mailstream_write(s, data.data(), data.size()) != static_cast<ssize_t>(data.size()) ||
        mailstream_flush(s) != 0)
        return stream_error("cannot send a command");
    return {};
}

Result<std::string> ImapSession::read_line(std::string* head) {
    std::unique_ptr<MMAPString, void (*)(MMAPString*)> buf(mmap_string_new(""), mmap_string_free);
    // mailstream_read_line counts bytes, not a C string's length: a NUL byte stays.
    if (!buf || !stream() || !mailstream_read_line(stream(), buf.get())) {
        if (head && buf) head->assign(buf->str, std::min<size_t>(buf->len, 200));
        return stream_error("cannot read a reply");
    }
    std::string line(buf->str, buf->len);
    if (!line.empty() && line.back() == '\n') line.pop_back();
    if (!line.empty() && line.back() == '\r') line.pop_back();
    return line;
}

Status ImapSession::read_literal(uint64_t n, std::string* out) {
    mailstream* s = stream();
    if (!s) return stream_error("cannot read a literal");
    // Bytes already in the stream's buffer passed the guard as line bytes.
    if (StreamGuard* g = stream_guard_of(s)) g->expect_literal(n > s->read_buffer_len ? n - s->read_buffer_len : 0);
    if (out) out->reserve(out->size() + n);  // the announced size, checked by the caller
    char chunk[64 * 1024];
    while (n > 0) {
        ssize_t got = mailstream_read(s, chunk, static_cast<size_t>(std::min<uint64_t>(n, sizeof chunk)));
        if (got <= 0) return stream_error("cannot read a literal");
        if (out) out->append(chunk, static_cast<size_t>(got));
        n -= static_cast<uint64_t>(got);
    }
    return {};
}

void ImapSession::begin_message_response() {
    if (StreamGuard* g = stream_guard_of(stream())) {
        g->set_limits(message_limits(timeout_, max_message_size_));
        g->rearm();
    }
}

void ImapSession::end_message_responses() {
    if (StreamGuard* g = stream_guard_of(stream())) g->set_limits(command_limits(timeout_));
}

void ImapSession::abandon() {
    if (StreamGuard* g = stream_guard_of(stream())) g->stop(GuardStop::abandoned);
    connected_ = false;  // no LOGOUT: it would be read as part of the old reply
}

bool ImapSession::stopped_by_limit() const {
    StreamGuard* g = stream_guard_of(stream());
    GuardStop stop = g ? g->report().stop : GuardStop::none;
    return stop == GuardStop::line_too_long || stop == GuardStop::too_many_bytes || stop == GuardStop::too_slow;
}

Error ImapSession::stream_error(const std::string& what) const { return guard_error(stream(), what); }

UidRanges compress_uids(const std::vector<uint32_t>& uids) {
    UidRanges out;
    for (uint32_t u : uids) {
        if (!out.empty() && out.back().second + 1 == u) out.back().second = u;
        else out.emplace_back(u, u);
    }
    return out;
}

std::vector<UidRanges> split_uid_set(const UidRanges& ranges, size_t max_text_bytes) {
    std::vector<UidRanges> pieces;
    size_t text_bytes = 0;
    for (const auto& range : ranges) {
        const auto& [first, last] = range;
        // "first" or "first:last" ('*' for 0), then a comma.
        size_t bytes = std::to_string(first).size() + 1;
        if (last != first) bytes += 1 + (last == 0 ? 1 : std::to_string(last).size());
        if (pieces.empty() || text_bytes + bytes > max_text_bytes + 1) {
            pieces.emplace_back();
            text_bytes = 0;
        }
        pieces.back().push_back(range);
        text_bytes += bytes;
    }
    return pieces;
}

}  // namespace mailferry::wrap
