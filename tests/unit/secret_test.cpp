// SecretString wipes what it held; secret files are read only when their owner
// and mode say nobody else chose or saw their contents (issue 13, item 7).
#include <catch2/catch.hpp>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fstream>

#include "../common/temp_dir.hpp"
#include "core/secret.hpp"
#include "wrap/protocol_trace.hpp"
#include "wrap/secret_file.hpp"

using namespace mailferry;
using mailferry::test::ScratchDir;

namespace {

std::string make_file(const ScratchDir& dir, const std::string& name, const std::string& text, mode_t mode) {
    const std::string path = dir / name;
    std::ofstream(path, std::ios::binary) << text;
    REQUIRE(::chmod(path.c_str(), mode) == 0);
    return path;
}

bool all_zero(const char* p, size_t n) {
    for (size_t i = 0; i < n; ++i)
        if (p[i] != 0) return false;
    return true;
}

}  // namespace

TEST_CASE("wipe overwrites the whole buffer a string owns, beyond its size", "[secret]") {
    std::string s(100, 'p');
    s.resize(10);  // the 90 bytes past size() still hold 'p'
    const char* buffer = s.data();
    const size_t capacity = s.capacity();
    wipe(s);
    CHECK(s.empty());
    REQUIRE(s.data() == buffer);  // clear() keeps the buffer: it can be inspected
    CHECK(all_zero(buffer, capacity));
}

TEST_CASE("a SecretString moved from holds nothing, and appending keeps one buffer", "[secret]") {
    SecretString a(std::string("correct horse battery staple, long enough to be on the heap"));
    SecretString b(std::move(a));
    CHECK(a.empty());  // NOLINT(bugprone-use-after-move): the point of the test
    CHECK(b.reveal() == "correct horse battery staple, long enough to be on the heap");
    SecretString c;
    c = std::move(b);
    CHECK(b.empty());  // NOLINT(bugprone-use-after-move)
    CHECK(c.size() == 59);

    SecretString grown;
    grown.reserve(64);
    const char* buffer = grown.reveal().data();
    for (int i = 0; i < 6; ++i) grown.append("0123456789");
    CHECK(grown.reveal().data() == buffer);
    CHECK(first_line(SecretString(std::string("pw\r\nsecond line"))).reveal() == "pw");
    CHECK(first_line(SecretString(std::string("only"))).reveal() == "only");
}

TEST_CASE("a secret file of ours with mode 0600 is read, one readable by others is warned or refused", "[secret]") {
    ScratchDir dir;
    auto own = wrap::read_secret_file(make_file(dir, "pw", "s3cret\n", 0600), "the password file",
                                      wrap::OthersMayRead::warn);
    REQUIRE(own.ok());
    CHECK(own->text.reveal() == "s3cret\n");
    CHECK(own->warning.empty());

    const std::string readable = make_file(dir, "readable", "s3cret\n", 0644);
    auto warned = wrap::read_secret_file(readable, "the password file", wrap::OthersMayRead::warn);
    REQUIRE(warned.ok());
    CHECK(warned->warning.find("can be read by other users") != std::string::npos);
    auto refused = wrap::read_secret_file(readable, "the token file", wrap::OthersMayRead::refuse);
    REQUIRE_FALSE(refused.ok());
    CHECK(refused.error().kind == ErrorKind::usage);
    CHECK(refused.error().message.find("the token file " + readable) != std::string::npos);
}

TEST_CASE("a secret file others can change, another user's, or no regular file is refused, never echoed",
          "[secret]") {
    ScratchDir dir;
    for (mode_t mode : {0620, 0602, 0666}) {
        INFO(std::oct << mode);
        auto r = wrap::read_secret_file(make_file(dir, "w", "hunter2\n", mode), "the password file",
                                        wrap::OthersMayRead::warn);
        REQUIRE_FALSE(r.ok());
        CHECK(r.error().message.find("can be changed by other users") != std::string::npos);
        CHECK(r.error().message.find("hunter2") == std::string::npos);
    }

    const std::string fifo = dir / "fifo";
    REQUIRE(::mkfifo(fifo.c_str(), 0600) == 0);
    auto from_fifo = wrap::read_secret_file(fifo, "the password file", wrap::OthersMayRead::warn);
    REQUIRE_FALSE(from_fifo.ok());
    CHECK(from_fifo.error().message.find("not a regular file") != std::string::npos);
    CHECK_FALSE(wrap::read_secret_file(dir.path().string(), "the password file", wrap::OthersMayRead::warn).ok());

    // Only root can give a file away; the check is the same for every uid.
    if (::geteuid() == 0) {
        const std::string foreign = make_file(dir, "foreign", "hunter2\n", 0600);
        REQUIRE(::chown(foreign.c_str(), 65534, 65534) == 0);
        auto r = wrap::read_secret_file(foreign, "the password file", wrap::OthersMayRead::warn);
        REQUIRE_FALSE(r.ok());
        CHECK(r.error().message.find("belongs to another user") != std::string::npos);
    }
    auto missing = wrap::read_secret_file(dir / "none", "the password file", wrap::OthersMayRead::warn);
    REQUIRE_FALSE(missing.ok());
    CHECK(missing.error().message.find("the password file") != std::string::npos);
}

TEST_CASE("the protocol trace keeps a command's verb and hides its secrets", "[secret][debug]") {
    using mailferry::wrap::redact_client_line;
    using mailferry::wrap::TraceRedaction;
    TraceRedaction t;
    CHECK(redact_client_line("a1 LOGIN alice hunter2", t) == "a1 LOGIN ***");
    CHECK(redact_client_line("PASS hunter2", t) == "PASS ***");
    CHECK(redact_client_line("USER alice", t) == "USER alice");
    CHECK(redact_client_line("mf1 APPEND \"INBOX\" {12+}", t) == "mf1 APPEND \"INBOX\" {12+}");
    CHECK_FALSE(t.in_sasl);
    CHECK(redact_client_line("a2 AUTHENTICATE XOAUTH2 dXNlcj1hbGljZQ==", t) == "a2 AUTHENTICATE XOAUTH2 ***");
    CHECK(t.in_sasl);
    CHECK(redact_client_line("dG9rZW4tY29udGludWF0aW9u", t) == "***");  // a SASL response after "+"
    t.in_sasl = false;
    CHECK(redact_client_line("AUTH XOAUTH2 dXNlcj1ib2I=", t) == "AUTH XOAUTH2 ***");
    CHECK(t.in_sasl);
    t.in_sasl = false;
    CHECK(redact_client_line("a3 login Alice Secret", t) == "a3 login ***");  // commands are case-insensitive
    CHECK(redact_client_line("a4 SELECT \"bad\x01name\"", t) == "a4 SELECT \"bad\\x01name\"");
}
