#include "support.hpp"

#include <optional>
#include <fcntl.h>
#include <libetpan/libetpan.h>
#include <sqlite3.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <boost/filesystem.hpp>
#include <catch2/catch.hpp>

#include <algorithm>
#include <chrono>
#include <csignal>
#include <fstream>
#include <iterator>
#include <optional>
#include <thread>
#include <sstream>

#include "core/clock.hpp"
#include "mailferry/flags.hpp"
#include "test_dovecot.hpp"
#include "wrap/sha256.hpp"
#include "test_corpus.hpp"
#include "test_files.hpp"

namespace mailferry::test {
namespace fs = boost::filesystem;

namespace {

[[noreturn]] void exec_mailferry(const std::vector<std::string>& args) {
    std::vector<char*> argv;
    std::string bin = MAILFERRY_BINARY;
    argv.push_back(bin.data());
    std::vector<std::string> copy = args;
    for (auto& a : copy) argv.push_back(a.data());
    argv.push_back(nullptr);
    execv(bin.c_str(), argv.data());
    _exit(127);
}

struct Imap {
    mailimap* s = mailimap_new(0, nullptr);
    ~Imap() {
        mailimap_logout(s);
        mailimap_free(s);
    }
};

void login(Imap& imap, int port, const std::string& user, const std::string& password) {
    mailimap_set_timeout(imap.s, 30);
    int rc = mailimap_ssl_connect(imap.s, "127.0.0.1", static_cast<uint16_t>(port));
    REQUIRE((rc == MAILIMAP_NO_ERROR_NON_AUTHENTICATED || rc == MAILIMAP_NO_ERROR_AUTHENTICATED));
    REQUIRE(mailimap_login(imap.s, user.c_str(), password.c_str()) == MAILIMAP_NO_ERROR);
}

std::string role_of(const mailimap_mbx_list_flags* fl) {
    if (!fl) return "";
    for (clistiter* o = clist_begin(fl->mbf_oflags); o; o = clist_next(o)) {
        auto of = static_cast<mailimap_mbx_list_oflag*>(clist_content(o));
        if (!of->of_flag_ext) continue;
        std::string f = of->of_flag_ext;
        for (const char* r : {"Sent", "Trash", "Junk", "Drafts", "Archive", "All", "Flagged"})
            if (f == r || f == std::string("\\") + r) return std::string("\\") + r;
    }
    return "";
}

void read_messages(Imap& imap, ServerFolder& folder) {
    if (mailimap_examine(imap.s, folder.raw_name.c_str()) != MAILIMAP_NO_ERROR) {
        FAIL("cannot EXAMINE " << folder.raw_name);
    }
    folder.uidvalidity = imap.s->imap_selection_info->sel_uidvalidity;
    if (imap.s->imap_selection_info->sel_exists == 0) return;
    mailimap_set* set = mailimap_set_new_interval(1, 0);
    mailimap_fetch_type* ft = mailimap_fetch_type_new_fetch_att_list_empty();
    mailimap_fetch_type_new_fetch_att_list_add(ft, mailimap_fetch_att_new_uid());
    mailimap_fetch_type_new_fetch_att_list_add(ft, mailimap_fetch_att_new_flags());
    mailimap_fetch_type_new_fetch_att_list_add(ft, mailimap_fetch_att_new_internaldate());
    mailimap_fetch_type_new_fetch_att_list_add(ft, mailimap_fetch_att_new_body_peek_section(mailimap_section_new(nullptr)));
    clist* result = nullptr;
    REQUIRE(mailimap_uid_fetch(imap.s, set, ft, &result) == MAILIMAP_NO_ERROR);
    for (clistiter* it = clist_begin(result); it; it = clist_next(it)) {
        auto att = static_cast<mailimap_msg_att*>(clist_content(it));
        ServerMessage m;
        Flags flags;
        for (clistiter* i = clist_begin(att->att_list); i; i = clist_next(i)) {
            auto item = static_cast<mailimap_msg_att_item*>(clist_content(i));
            if (item->att_type == MAILIMAP_MSG_ATT_ITEM_DYNAMIC) {
                if (!item->att_data.att_dyn->att_list) continue;  // FLAGS ()
                for (clistiter* f = clist_begin(item->att_data.att_dyn->att_list); f; f = clist_next(f)) {
                    auto ff = static_cast<mailimap_flag_fetch*>(clist_content(f));
                    if (ff->fl_type != MAILIMAP_FLAG_FETCH_OTHER) continue;
                    switch (ff->fl_flag->fl_type) {
                    case MAILIMAP_FLAG_SEEN: flags.add_imap("\\Seen"); break;
                    case MAILIMAP_FLAG_ANSWERED: flags.add_imap("\\Answered"); break;
                    case MAILIMAP_FLAG_FLAGGED: flags.add_imap("\\Flagged"); break;
                    case MAILIMAP_FLAG_DELETED: flags.add_imap("\\Deleted"); break;
                    case MAILIMAP_FLAG_DRAFT: flags.add_imap("\\Draft"); break;
                    case MAILIMAP_FLAG_KEYWORD: flags.add_imap(ff->fl_flag->fl_data.fl_keyword); break;
                    default: break;
                    }
                }
                continue;
            }
            auto st = item->att_data.att_static;
            if (st->att_type == MAILIMAP_MSG_ATT_UID) m.uid = st->att_data.att_uid;
            if (st->att_type == MAILIMAP_MSG_ATT_INTERNALDATE) {
                auto d = st->att_data.att_internal_date;
                m.internaldate = epoch_from_fields(d->dt_year, d->dt_month, d->dt_day, d->dt_hour, d->dt_min,
                                                   d->dt_sec, d->dt_zone).value_or(0);
            }
            if (st->att_type == MAILIMAP_MSG_ATT_BODY_SECTION) {
                auto b = st->att_data.att_body_section;
                std::string_view bytes(b->sec_body_part ? b->sec_body_part : "", b->sec_length);
                m.sha256 = wrap::sha256_hex(bytes);
                m.size = bytes.size();
            }
        }
        m.flags = flags.to_imap();
        folder.messages.push_back(m);
    }
    mailimap_fetch_list_free(result);
    mailimap_fetch_type_free(ft);
    mailimap_set_free(set);
}

}  // namespace

BackgroundRun::BackgroundRun(const std::vector<std::string>& args, const std::map<std::string, std::string>& env)
    : out_(dir_ / "out"), err_(dir_ / "err") {
    pid_ = fork();
    REQUIRE(pid_ >= 0);
    if (pid_ == 0) {
        int in = open("/dev/null", O_RDONLY);
        int o = open(out_.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
        int e = open(err_.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
        dup2(in, 0);
        dup2(o, 1);
        dup2(e, 2);
        for (const auto& [k, v] : env) setenv(k.c_str(), v.c_str(), 1);
        exec_mailferry(args);
    }
}

BackgroundRun::~BackgroundRun() {
    if (pid_ > 0) {
        kill(pid_, SIGKILL);
        wait_for(pid_);
    }
}

std::string BackgroundRun::wait_for_line(const std::string& needle, int timeout_seconds) {
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(timeout_seconds);
    while (std::chrono::steady_clock::now() < deadline) {
        std::istringstream lines(slurp(out_));
        for (std::string line; std::getline(lines, line);)
            if (line.find(needle) != std::string::npos) return line;
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    return "";
}

RunResult BackgroundRun::finish() {
    RunResult r;
    r.exit_code = wait_for(pid_);
    pid_ = -1;
    r.out = slurp(out_);
    r.err = slurp(err_);
    return r;
}

bool BackgroundRun::running() const {
    siginfo_t info{};
    return pid_ > 0 && waitid(P_PID, static_cast<id_t>(pid_), &info, WEXITED | WNOHANG | WNOWAIT) == 0 &&
           info.si_pid == 0;
}

RunResult run_mailferry(const std::vector<std::string>& args, const std::map<std::string, std::string>& env) {
    return BackgroundRun(args, env).finish();
}

pid_t spawn_mailferry(const std::vector<std::string>& args) {
    pid_t pid = fork();
    REQUIRE(pid >= 0);
    if (pid == 0) {
        int null = open("/dev/null", O_RDWR);
        dup2(null, 0);
        dup2(null, 1);
        dup2(null, 2);
        exec_mailferry(args);
    }
    return pid;
}

int wait_for(pid_t pid) {
    int status = 0;
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
    if (WIFEXITED(status)) return WEXITSTATUS(status);
    return 128 + WTERMSIG(status);
}

TempDir::TempDir() {
    const char* base = getenv("TMPDIR");
    std::string tmpl = std::string(base && *base ? base : "/tmp") + "/mf-it-XXXXXX";
    REQUIRE(mkdtemp(tmpl.data()) != nullptr);
    path = tmpl;
}

TempDir::~TempDir() {
    if (!getenv("MAILFERRY_KEEP_TEST_DIRS")) {
        boost::system::error_code ec;
        fs::remove_all(path, ec);
    }
}

std::string write_secret_file(const std::string& path, const std::string& secret) {
    int fd = open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
    REQUIRE(fd >= 0);
    std::string line = secret + "\n";
    REQUIRE(write(fd, line.data(), line.size()) == static_cast<ssize_t>(line.size()));
    close(fd);
    return path;
}

std::map<std::string, ServerFolder> read_account(int port, const std::string& user, const std::string& password) {
    Imap imap;
    login(imap, port, user, password);
    clist* list = nullptr;
    REQUIRE(mailimap_list(imap.s, "", "*", &list) == MAILIMAP_NO_ERROR);
    std::map<std::string, ServerFolder> out;
    for (clistiter* it = clist_begin(list); it; it = clist_next(it)) {
        auto mb = static_cast<mailimap_mailbox_list*>(clist_content(it));
        ServerFolder f;
        f.raw_name = mb->mb_name;
        f.role = role_of(mb->mb_flag);
        f.selectable = !(mb->mb_flag && mb->mb_flag->mbf_type == MAILIMAP_MBX_LIST_FLAGS_SFLAG &&
                         mb->mb_flag->mbf_sflag == MAILIMAP_MBX_LIST_SFLAG_NOSELECT);
        out[f.raw_name] = f;
    }
    mailimap_list_result_free(list);
    for (auto& [name, f] : out)
        if (f.selectable) read_messages(imap, f);
    return out;
}

void imap_command(int port, const std::string& user, const std::string& password, const std::string& folder,
                  const std::string& command) {
    Imap imap;
    login(imap, port, user, password);
    if (!folder.empty()) REQUIRE(mailimap_select(imap.s, folder.c_str()) == MAILIMAP_NO_ERROR);
    INFO(command);
    REQUIRE(mailimap_custom_command(imap.s, command.c_str()) == MAILIMAP_NO_ERROR);
}

std::vector<CachedMessageRow> read_cache_messages(const std::string& cache_dir) {
    sqlite3* db = nullptr;
    REQUIRE(sqlite3_open_v2((cache_dir + "/index.sqlite").c_str(), &db, SQLITE_OPEN_READONLY, nullptr) == SQLITE_OK);
    sqlite3_stmt* st = nullptr;
    REQUIRE(sqlite3_prepare_v2(db,
                               "SELECT f.raw_name, m.uidvalidity, m.uid, m.sha256, m.size, m.received_at, m.flags, "
                               "m.path, m.gone FROM messages m JOIN folders f ON f.id = m.folder_id",
                               -1, &st, nullptr) == SQLITE_OK);
    std::vector<CachedMessageRow> rows;
    auto text = [&](int c) { return std::string(reinterpret_cast<const char*>(sqlite3_column_text(st, c))); };
    while (sqlite3_step(st) == SQLITE_ROW) {
        CachedMessageRow r;
        r.folder_raw_name = text(0);
        r.uidvalidity = static_cast<uint32_t>(sqlite3_column_int64(st, 1));
        r.uid = static_cast<uint32_t>(sqlite3_column_int64(st, 2));
        r.sha256 = text(3);
        r.size = static_cast<uint64_t>(sqlite3_column_int64(st, 4));
        r.received = sqlite3_column_int64(st, 5);
        r.flags = text(6);
        r.path = text(7);
        r.gone = sqlite3_column_int64(st, 8) != 0;
        rows.push_back(r);
    }
    sqlite3_finalize(st);
    sqlite3_close(db);
    std::sort(rows.begin(), rows.end());
    return rows;
}

namespace {

std::string describe(const CachedMessageRow& r) {
    return r.folder_raw_name + " uidvalidity " + std::to_string(r.uidvalidity) + " uid " + std::to_string(r.uid) +
           " sha " + r.sha256.substr(0, 12) + " size " + std::to_string(r.size) + " received " +
           std::to_string(r.received) + " flags '" + r.flags + "' " + r.path + (r.gone ? " gone" : "");
}

}  // namespace

void check_same_rows(const std::vector<CachedMessageRow>& got, const std::vector<CachedMessageRow>& want) {
    // Rows are sorted by (folder, UIDVALIDITY, UID); the text breaks ties, so that
    // two rows of one message that differ in anything are both listed.
    auto before = [](const CachedMessageRow& a, const CachedMessageRow& b) {
        return a < b || (!(b < a) && describe(a) < describe(b));
    };
    std::vector<CachedMessageRow> only_got, only_want;
    std::set_difference(got.begin(), got.end(), want.begin(), want.end(), std::back_inserter(only_got), before);
    std::set_difference(want.begin(), want.end(), got.begin(), got.end(), std::back_inserter(only_want), before);
    std::string diff;
    for (size_t i = 0; i < std::min<size_t>(only_got.size(), 5); ++i)
        diff += "\n  only got:  " + describe(only_got[i]);
    for (size_t i = 0; i < std::min<size_t>(only_want.size(), 5); ++i)
        diff += "\n  only want: " + describe(only_want[i]);
    INFO(got.size() << " rows got, " << want.size() << " wanted" << diff);
    CHECK(got == want);
}

int64_t cache_sql(const std::string& cache_dir, const std::string& statement) {
    sqlite3* db = nullptr;
    REQUIRE(sqlite3_open((cache_dir + "/index.sqlite").c_str(), &db) == SQLITE_OK);
    std::optional<int64_t> first;
    char* err = nullptr;
    int rc = sqlite3_exec(
        db, statement.c_str(),
        [](void* out, int columns, char** values, char**) {
            auto& first = *static_cast<std::optional<int64_t>*>(out);
            if (!first && columns > 0) first = values[0] ? std::stoll(values[0]) : 0;
            return 0;
        },
        &first, &err);
    INFO(statement << ": " << (err ? err : ""));
    sqlite3_free(err);
    sqlite3_close(db);
    REQUIRE(rc == SQLITE_OK);
    return first.value_or(0);
}

std::map<std::string, CachedFolderRow> read_cache_folders(const std::string& cache_dir) {
    sqlite3* db = nullptr;
    REQUIRE(sqlite3_open_v2((cache_dir + "/index.sqlite").c_str(), &db, SQLITE_OPEN_READONLY, nullptr) == SQLITE_OK);
    sqlite3_stmt* st = nullptr;
    REQUIRE(sqlite3_prepare_v2(db, "SELECT raw_name, name, role, maildir, selectable FROM folders", -1, &st, nullptr) ==
            SQLITE_OK);
    std::map<std::string, CachedFolderRow> out;
    auto text = [&](int c) { return std::string(reinterpret_cast<const char*>(sqlite3_column_text(st, c))); };
    while (sqlite3_step(st) == SQLITE_ROW)
        out[text(0)] = {text(0), text(1), text(2), text(3), sqlite3_column_int64(st, 4) != 0};
    sqlite3_finalize(st);
    sqlite3_close(db);
    return out;
}

std::set<std::string> message_files(const std::string& cache_dir) {
    std::set<std::string> out;
    fs::path root = fs::path(cache_dir) / "mail";
    for (fs::recursive_directory_iterator it(root), end; it != end; ++it) {
        if (!fs::is_regular_file(it->path())) continue;
        std::string parent = it->path().parent_path().filename().string();
        if (parent != "cur" && parent != "new" && parent != "tmp") continue;
        out.insert(fs::relative(it->path(), cache_dir).string());
    }
    return out;
}

std::string sha256_of_file(const std::string& path) { return wrap::sha256_hex(slurp(path)); }

int64_t mtime_of(const std::string& path) {
    struct stat st;
    REQUIRE(stat(path.c_str(), &st) == 0);
    return st.st_mtime;
}

}  // namespace mailferry::test

namespace mailferry::test {

FaultProxy::FaultProxy(int upstream_port, const std::string& ssl_dir, const std::vector<std::string>& options) {
    std::vector<std::string> args = {MAILFERRY_FAULT_PROXY, "--upstream-port", std::to_string(upstream_port),
                                     "--cert", ssl_dir + "/cert.pem", "--key", ssl_dir + "/key.pem",
                                     "--port-file", dir_ / "port", "--log", dir_ / "log", "--max-seconds", "600"};
    args.insert(args.end(), options.begin(), options.end());
    pid_ = fork();
    REQUIRE(pid_ >= 0);
    if (pid_ == 0) {
        std::vector<char*> argv;
        for (auto& a : args) argv.push_back(a.data());
        argv.push_back(nullptr);
        execv(argv[0], argv.data());
        _exit(127);
    }
    for (int i = 0; i < 200 && port_ == 0; ++i) {
        std::ifstream in(dir_ / "port");
        if (!(in >> port_)) std::this_thread::sleep_for(std::chrono::milliseconds(25));
    }
    REQUIRE(port_ != 0);
}

FaultProxy::~FaultProxy() {
    if (pid_ > 0) {
        kill(pid_, SIGTERM);
        wait_for(pid_);
    }
}

std::vector<std::string> FaultProxy::log_lines() const {
    std::vector<std::string> lines;
    std::ifstream in(dir_ / "log");
    for (std::string line; std::getline(in, line);) lines.push_back(line);
    return lines;
}

std::string generated_maildirpp() { return generated_corpus_dir() + "/maildir/dovecot-maildirpp"; }

std::vector<std::string> generated_message_files(const std::string& group) {
    std::vector<std::string> files;
    for (fs::directory_iterator it(generated_corpus_dir() + "/" + group), end; it != end; ++it)
        if (fs::is_regular_file(it->path())) files.push_back(it->path().string());
    std::sort(files.begin(), files.end());
    REQUIRE_FALSE(files.empty());
    return files;
}

std::map<std::string, ServerFolder> load_corpus(const TestDovecot& d, const std::string& corpus_root,
                                                const std::string& user, const std::string& password) {
    fs::path corpus = corpus_root;
    d.load_maildir(user, (corpus / "maildir/dovecot-maildirpp").string());
    for (fs::recursive_directory_iterator it(corpus / "mbox"), end; it != end; ++it) {
        // A server holds no gzip mbox: the import tests read those.
        if (!fs::is_regular_file(it->path()) || it->path().extension() == ".gz") continue;
        std::string folder = "Imported/" + fs::relative(it->path(), corpus / "mbox").parent_path().string() + "/" +
                             it->path().stem().string();
        d.load_mbox(user, folder, it->path().string());
    }
    for (const char* group : {"eml", "malformed"}) {
        for (fs::directory_iterator it(corpus / group), end; it != end; ++it) {
            std::vector<std::string> files;
            for (fs::directory_iterator f(it->path()), fend; f != fend; ++f)
                if (fs::is_regular_file(f->path())) files.push_back(f->path().string());
            std::sort(files.begin(), files.end());
            d.load_files(user, std::string(group) + "/" + it->path().filename().string(), files);
        }
    }
    return read_account(d.imaps_port(), user, password);
}

void require_cache_matches_server(const std::string& cache, const std::map<std::string, ServerFolder>& server) {
    auto folders = read_cache_folders(cache);
    auto rows = read_cache_messages(cache);
    std::map<std::string, std::map<uint32_t, CachedMessageRow>> by_folder;
    for (const auto& r : rows) by_folder[r.folder_raw_name][r.uid] = r;
    size_t total = 0;
    for (const auto& [name, sf] : server) {
        CAPTURE(name);
        REQUIRE(folders.count(name) == 1);
        CHECK(folders[name].role == sf.role);
        CHECK(folders[name].selectable == sf.selectable);
        const auto& cached = by_folder[name];
        REQUIRE(cached.size() == sf.messages.size());
        for (const auto& m : sf.messages) {
            CAPTURE(m.uid);
            auto it = cached.find(m.uid);
            REQUIRE(it != cached.end());
            const auto& c = it->second;
            CHECK(c.uidvalidity == sf.uidvalidity);
            CHECK(c.sha256 == m.sha256);
            CHECK(c.size == m.size);
            CHECK(c.flags == m.flags);
            CHECK(c.received == m.internaldate);
            CHECK_FALSE(c.gone);
            std::string file = cache + "/" + c.path;
            CHECK(sha256_of_file(file) == m.sha256);
            CHECK(mtime_of(file) == m.internaldate);
            ++total;
        }
    }
    CHECK(rows.size() == total);
}

}  // namespace mailferry::test
