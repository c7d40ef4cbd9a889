// A private Dovecot 2.3 (IMAP/IMAPS/POP3/POP3S on 127.0.0.1, self-signed TLS)
// for integration tests and benchmarks.  Thin wrapper around the bash script
// tests/harness/dovecot-harness, which does the real work.
//
//   mailferry::test::TestDovecot server;                // alice:alice-pw, Dovecot shape
//   server.load_maildir("alice", some_maildirpp_tree);   // e.g. the generated corpus' (tests/common/test_corpus.hpp)
//   connect to 127.0.0.1:server.imaps_port(), trust server.ca_file() ...
//
// Depends only on the standard library and POSIX.
#pragma once

#include <map>
#include <string>
#include <vector>

namespace mailferry::test {

struct DovecotOptions {
    // "dovecot": special-use Sent/Trash/Junk/Drafts/Archive (auto = no);
    // "exchange": "Sent Items"/"Deleted Items"/"Junk Email"/Drafts/Archive (auto = subscribe).
    std::string shape = "dovecot";
    // "NAME:PASSWORD" or "NAME:PASSWORD:maildir" / "NAME:PASSWORD:mdbox"
    std::vector<std::string> users = {"alice:alice-pw"};
    // COMPRESS=DEFLATE (imap_zlib) advertised after login
    bool compress = true;
    // Empty: no OAuth2.  Else the directory of a running OAuth2 test server
    // (TestOAuthServer::dir(), or an `oauth2-harness start` DIR): Dovecot then
    // also offers AUTH=XOAUTH2 and AUTH=OAUTHBEARER (IMAP and POP3) and accepts
    // that server's JWT access tokens, validated locally with its public key;
    // the mailbox is the token's upn claim, so its users must be in `users`
    // too (any password).  Start the OAuth2 server first (its issuer URL,
    // port included, is pinned) and keep it alive as long as this one.
    // A refused token gets the SASL challenge "+ <base64 JSON>" first; after
    // the client's empty answer: "NO [AUTHENTICATIONFAILED] Authentication
    // failed." (POP3: "-ERR [AUTH] Authentication failed.").
    std::string oauth2_dir{};
    // With oauth2_dir: the SASL mechanisms offered for tokens.
    std::string oauth2_mechanisms{"xoauth2 oauthbearer"};
};

// Starts a private Dovecot in a fresh temporary directory (mkdtemp under
// $TMPDIR or /tmp) and stops it by PID in the destructor; the directory is
// removed too unless MAILFERRY_KEEP_TEST_DIRS is set.  Should this process die
// without running the destructor, a watchdog stops the server within ~1 s
// (the directory then stays).  Every failure throws
// std::runtime_error carrying the script's stderr (with the tail of the
// Dovecot log when the start failed).
class TestDovecot {
public:
    explicit TestDovecot(DovecotOptions = {});
    ~TestDovecot();
    TestDovecot(const TestDovecot&) = delete;
    TestDovecot& operator=(const TestDovecot&) = delete;

    int imap_port() const { return imap_port_; }    // plain, STARTTLS offered
    int imaps_port() const { return imaps_port_; }  // implicit TLS
    int pop3_port() const { return pop3_port_; }    // plain, STLS offered
    int pop3s_port() const { return pop3s_port_; }  // implicit TLS
    int pid() const { return pid_; }                // Dovecot master
    const std::string& ca_file() const { return ca_file_; }  // the self-signed server cert (PEM)
    const std::string& dir() const { return dir_; }

    // Root of USER's mail store: DIR/home/USER/Maildir (maildir users) or
    // DIR/home/USER/mdbox (mdbox users).
    std::string maildir_of(const std::string& user) const;

    // Copies a Maildir++ tree (e.g. <corpus>/maildir/dovecot-maildirpp)
    // into USER's Maildir, keeping mtimes, and makes Dovecot index it.
    void load_maildir(const std::string& user, const std::string& src) const;
    // Loads message files into FOLDER (created and subscribed if needed),
    // without flags; INTERNALDATE = Date: header, else the file's mtime.
    void load_files(const std::string& user, const std::string& folder,
                    const std::vector<std::string>& files) const;
    // Loads every entry of an mbox (split at each line starting "From ") into
    // FOLDER; INTERNALDATE = From_ line date, else Date: header.
    void load_mbox(const std::string& user, const std::string& folder, const std::string& mbox) const;
    // N synthetic messages over ~10 folders (benchmarks); deterministic for a seed.
    void generate(const std::string& user, int n, int seed = 1) const;
    // Hands FILE to dovecot-lda for USER's INBOX, as an MTA delivers new mail.
    void deliver(const std::string& user, const std::string& file) const;
    // "mailbox<TAB>messages<TAB>unseen" lines, for debugging.
    std::string status(const std::string& user) const;

    void stop();  // idempotent

private:
    std::string run(const std::vector<std::string>& args) const;

    std::string dir_;
    std::string ca_file_;
    std::string conf_;
    std::string home_root_;
    std::map<std::string, std::string> user_format_;  // user -> maildir|mdbox
    int imap_port_ = 0;
    int imaps_port_ = 0;
    int pop3_port_ = 0;
    int pop3s_port_ = 0;
    int pid_ = 0;
    bool running_ = false;
};

// Absolute path of dovecot-harness (compile definition MAILFERRY_HARNESS_DIR).
// Test mail comes from tests/common/test_corpus.hpp, not from here: the harness
// serves whatever it is given.
std::string harness_script();

}  // namespace mailferry::test
