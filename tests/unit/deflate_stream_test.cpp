// The COMPRESS=DEFLATE layer against a peer that speaks raw deflate with zlib directly, over a
// socketpair. The peer runs on its own thread and reports what it saw; assertions stay on the test
// thread because Catch2 v2 assertions are not thread-safe.
#include "wrap/deflate_stream.hpp"

#include <catch2/catch.hpp>
#include <libetpan/libetpan.h>
#include <zlib.h>

#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <csignal>
#include <chrono>
#include <cstdint>
#include <cstring>
#include <random>
#include <string>
#include <thread>
#include <vector>

using mailferry::wrap::install_deflate_layer;

namespace {

constexpr int io_timeout_ms = 10'000; // a bug shows up as a failed test, never as a hung run

// Bounds every libetpan socket wait (default 300 s) and turns a write to a closed peer into an error
// instead of SIGPIPE; both restored afterwards, since the test binary is shared.
class TestGuard {
public:
    TestGuard() : delay_(mailstream_network_delay), pipe_(std::signal(SIGPIPE, SIG_IGN))
    {
        mailstream_network_delay = timeval{io_timeout_ms / 1000, 0};
    }
    TestGuard(const TestGuard&) = delete;
    TestGuard& operator=(const TestGuard&) = delete;
    ~TestGuard()
    {
        mailstream_network_delay = delay_;
        std::signal(SIGPIPE, pipe_);
    }

private:
    timeval delay_;
    void (*pipe_)(int);
};

// ---- peer side: plain sockets and zlib ----

struct SocketPair {
    int client = -1;
    int peer = -1;
    SocketPair()
    {
        int fds[2];
        REQUIRE(socketpair(AF_UNIX, SOCK_STREAM, 0, fds) == 0);
        client = fds[0];
        peer = fds[1];
    }
    SocketPair(const SocketPair&) = delete;
    SocketPair& operator=(const SocketPair&) = delete;
    ~SocketPair()
    {
        if (client >= 0) close(client);
        if (peer >= 0) close(peer);
    }
    int release_client() { return std::exchange(client, -1); } // the mailstream closes it from then on
    void close_peer() { close(std::exchange(peer, -1)); }
};

bool wait_readable(int fd)
{
    pollfd pfd{fd, POLLIN, 0};
    return poll(&pfd, 1, io_timeout_ms) == 1;
}

bool write_all(int fd, const void* data, std::size_t len)
{
    auto p = static_cast<const char*>(data);
    while (len > 0) {
        ssize_t n = write(fd, p, len);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) return false;
        p += n;
        len -= static_cast<std::size_t>(n);
    }
    return true;
}

// Writes in pieces of odd sizes so that compressed blocks straddle the client's socket reads.
bool write_in_odd_pieces(int fd, const std::string& data)
{
    static const std::size_t sizes[] = {1, 5, 1021, 9999, 3, 65537};
    std::size_t pos = 0;
    for (std::size_t i = 0; pos < data.size(); ++i) {
        std::size_t n = std::min(sizes[i % std::size(sizes)], data.size() - pos);
        if (!write_all(fd, data.data() + pos, n)) return false;
        pos += n;
    }
    return true;
}

// Raw deflate as an RFC 4978 server does it. Not movable: the z_stream must stay put after init.
class PeerDeflater {
public:
    PeerDeflater() { ok_ = deflateInit2(&z_, 6, Z_DEFLATED, -15, 8, Z_DEFAULT_STRATEGY) == Z_OK; }
    PeerDeflater(const PeerDeflater&) = delete;
    PeerDeflater& operator=(const PeerDeflater&) = delete;
    ~PeerDeflater() { deflateEnd(&z_); }

    std::string compress(const std::string& in, int flush)
    {
        std::string out;
        char buf[4096];
        z_.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(in.data()));
        z_.avail_in = static_cast<uInt>(in.size());
        do {
            z_.next_out = reinterpret_cast<Bytef*>(buf);
            z_.avail_out = sizeof buf;
            int rc = deflate(&z_, flush);
            if (rc != Z_OK && rc != Z_BUF_ERROR && rc != Z_STREAM_END) ok_ = false;
            out.append(buf, sizeof buf - z_.avail_out);
        } while (z_.avail_out == 0);
        return out;
    }
    bool ok() const { return ok_; }

private:
    z_stream z_{};
    bool ok_ = false;
};

// Raw inflate of what the client sent. Not movable, as above.
class PeerInflater {
public:
    PeerInflater() { ok_ = inflateInit2(&z_, -15) == Z_OK; }
    PeerInflater(const PeerInflater&) = delete;
    PeerInflater& operator=(const PeerInflater&) = delete;
    ~PeerInflater() { inflateEnd(&z_); }

    // Reads from fd and inflates until `out` holds at least `want` bytes. False on EOF, timeout or
    // corrupt data: a command that was not fully flushed shows up here as a timeout.
    bool read_until(int fd, std::string& out, std::size_t want)
    {
        char in[1500]; // a packet's worth, so several reads per command are the common case
        char buf[4096];
        while (ok_ && out.size() < want) {
            if (!wait_readable(fd)) return false;
            ssize_t n = read(fd, in, sizeof in);
            if (n <= 0) return false;
            z_.next_in = reinterpret_cast<Bytef*>(in);
            z_.avail_in = static_cast<uInt>(n);
            do {
                z_.next_out = reinterpret_cast<Bytef*>(buf);
                z_.avail_out = sizeof buf;
                int rc = inflate(&z_, Z_SYNC_FLUSH);
                if (rc != Z_OK && rc != Z_BUF_ERROR) ok_ = false;
                out.append(buf, sizeof buf - z_.avail_out);
            } while (ok_ && (z_.avail_in > 0 || z_.avail_out == 0));
        }
        return ok_ && out.size() >= want;
    }

private:
    z_stream z_{};
    bool ok_ = false;
};

// Text lines mixed with runs of random bytes (CR, LF and NUL included), ending in CRLF: the text
// compresses, the noise does not, so blocks of every kind and size appear.
std::string make_payload(std::size_t size, std::uint32_t seed)
{
    std::mt19937 rng(seed);
    std::string out;
    out.reserve(size + 128);
    while (out.size() < size) {
        if (rng() % 3 == 0) {
            std::size_t run = 1 + rng() % 20000;
            for (std::size_t i = 0; i < run; ++i) out.push_back(static_cast<char>(rng() & 0xff));
        } else {
            out += "* " + std::to_string(rng()) + " FETCH (UID " + std::to_string(rng() % 100000) +
                   " FLAGS (\\Seen) BODY[] {42}) Subject: the quick brown fox\r\n";
        }
    }
    out.resize(size - 2);
    return out + "\r\n";
}

// ---- client side: libetpan ----

// A stand-in low driver over a socket with tiny reads and writes, and the hooks a TLS driver has,
// to see that the layer loops over short I/O and forwards what it must.
struct FakeLow {
    int fd = -1;
    std::size_t max_read = SIZE_MAX;
    std::size_t max_write = SIZE_MAX;
    int closed = 0;
    int cancelled = 0;
    int idle_setups = 0;
    bool* freed = nullptr;
};

FakeLow* fake_of(mailstream_low* s)
{
    return static_cast<FakeLow*>(s->data);
}

mailstream_low_driver fake_driver = {
    [](mailstream_low* s, void* buf, std::size_t count) -> ssize_t { // read
        if (!wait_readable(fake_of(s)->fd)) return -1;
        return read(fake_of(s)->fd, buf, std::min(count, fake_of(s)->max_read));
    },
    [](mailstream_low* s, const void* buf, std::size_t count) -> ssize_t { // write
        return write(fake_of(s)->fd, buf, std::min(count, fake_of(s)->max_write));
    },
    [](mailstream_low* s) { // close
        ++fake_of(s)->closed;
        return close(std::exchange(fake_of(s)->fd, -1));
    },
    [](mailstream_low* s) { return fake_of(s)->fd; }, // get_fd
    [](mailstream_low* s) {                          // free: the FakeLow itself belongs to the test
        if (bool* freed = fake_of(s)->freed) *freed = true;
        free(s);
    },
    [](mailstream_low* s) { ++fake_of(s)->cancelled; }, // cancel
    nullptr,                                            // get_cancel
    [](mailstream_low*) {                               // certificate chain, as a TLS driver has one
        carray* chain = carray_new(1);
        carray_add(chain, mmap_string_new("fake-der"), nullptr);
        return chain;
    },
    [](mailstream_low* s) { return ++fake_of(s)->idle_setups; }, // setup_idle
    nullptr,                                                     // unsetup_idle
    nullptr,                                                     // interrupt_idle
};

// Owns a mailstream; mailstream_close frees every layer below it.
struct Stream {
    mailstream* s = nullptr;
    Stream(const Stream&) = delete;
    Stream& operator=(const Stream&) = delete;
    explicit Stream(mailstream* stream) : s(stream) { REQUIRE(s != nullptr); }
    ~Stream()
    {
        if (s) mailstream_close(s);
    }
};

mailstream* open_socket_stream(SocketPair& sp)
{
    return mailstream_socket_open(sp.release_client());
}

mailstream* open_fake_stream(SocketPair& sp, FakeLow& fake)
{
    fake.fd = sp.release_client();
    return mailstream_new(mailstream_low_new(&fake, &fake_driver), 8192);
}

std::string read_line(mailstream* s)
{
    MMAPString* line = mmap_string_new("");
    const char* got = mailstream_read_line(s, line);
    std::string out = got ? std::string(line->str, line->len) : std::string("<error>");
    mmap_string_free(line);
    return out;
}

// Reads exactly `want` bytes with mailstream_read, cycling through odd request sizes; some exceed the
// stream's 8192-byte buffer so that libetpan's direct-read path into the caller's buffer is used too.
std::string read_exactly(mailstream* s, std::size_t want)
{
    static const std::size_t sizes[] = {1, 3, 8191, 8193, 100003, 17};
    std::string out(want, '\0');
    std::size_t pos = 0;
    for (std::size_t i = 0; pos < want; ++i) {
        std::size_t ask = std::min(sizes[i % std::size(sizes)], want - pos);
        ssize_t n = mailstream_read(s, out.data() + pos, ask);
        if (n <= 0) break;
        pos += static_cast<std::size_t>(n);
    }
    out.resize(pos);
    return out;
}

bool send_line(mailstream* s, const std::string& text)
{
    return mailstream_write(s, text.data(), text.size()) == static_cast<ssize_t>(text.size()) &&
           mailstream_flush(s) == 0;
}

// The peer's half of an IMAP exchange: inflate each command, check it byte for byte, answer with a
// compressed tagged OK that the client must read before it sends the next command.
struct CommandPeer {
    std::vector<std::string> commands;
    std::string error; // empty when every command arrived byte-exact

    void run(int fd)
    {
        serve(fd);
        if (!error.empty()) shutdown(fd, SHUT_RDWR); // unblock the client: it sees EOF, not a stall
    }

    void serve(int fd)
    {
        PeerDeflater deflater;
        PeerInflater inflater;
        std::string seen;
        for (const std::string& command : commands) {
            std::size_t start = seen.size();
            if (!inflater.read_until(fd, seen, start + command.size())) {
                error = "command never arrived complete: " + command.substr(0, 40);
                return;
            }
            if (seen.compare(start, std::string::npos, command) != 0) {
                error = "command differs after inflate: " + command.substr(0, 40);
                return;
            }
            std::string reply = command.substr(0, command.find(' ')) + " OK done\r\n";
            if (!write_in_odd_pieces(fd, deflater.compress(reply, Z_SYNC_FLUSH))) {
                error = "reply not sent";
                return;
            }
        }
    }
};

std::vector<std::string> sample_commands()
{
    std::string literal = make_payload(300'000, 7); // larger than the stream buffer: written directly
    return {
        "a001 CAPABILITY\r\n",
        "a002 LOGIN \"user\" \"secret\"\r\n",
        "a003 APPEND INBOX {" + std::to_string(literal.size()) + "+}\r\n" + literal + "\r\n",
        "a004 NOOP\r\n",
        "a005 LOGOUT\r\n",
    };
}

} // namespace

TEST_CASE("deflate layer: commands written through it arrive byte-exact and complete", "[wrap][deflate]")
{
    TestGuard guard;
    struct Row {
        const char* name;
        std::size_t max_write; // SIZE_MAX: libetpan's own socket driver
    };
    const Row rows[] = {{"socket driver", SIZE_MAX}, {"driver writing 3 bytes at a time", 3}};
    for (const Row& row : rows) {
        SECTION(row.name)
        {
            SocketPair sp;
            FakeLow fake;
            fake.max_write = row.max_write;
            Stream stream(row.max_write == SIZE_MAX ? open_socket_stream(sp) : open_fake_stream(sp, fake));
            REQUIRE(install_deflate_layer(stream.s) == "");

            CommandPeer peer{sample_commands(), {}};
            std::thread peer_thread([&] { peer.run(sp.peer); });
            std::vector<std::string> replies;
            for (const std::string& command : peer.commands) {
                if (!send_line(stream.s, command)) break;
                replies.push_back(read_line(stream.s));
            }
            peer_thread.join();

            CHECK(peer.error == "");
            REQUIRE(replies.size() == peer.commands.size());
            CHECK(replies.front() == "a001 OK done\r\n");
            CHECK(replies.back() == "a005 OK done\r\n");
        }
    }
}

TEST_CASE("deflate layer: a large payload in odd deflated chunks reads back byte-exact", "[wrap][deflate]")
{
    TestGuard guard;
    struct Row {
        const char* name;
        std::size_t size;
        std::size_t max_read; // SIZE_MAX: libetpan's own socket driver
        bool by_line;
    };
    const Row rows[] = {
        {"3 MB through mailstream_read", 3'000'000, SIZE_MAX, false},
        {"3 MB through mailstream_read_line", 3'000'000, SIZE_MAX, true},
        {"driver reading 1 byte at a time", 64'000, 1, false},
        {"driver reading 7 bytes at a time, by line", 400'000, 7, true},
    };
    for (const Row& row : rows) {
        SECTION(row.name)
        {
            const std::string payload = make_payload(row.size, static_cast<std::uint32_t>(row.size));
            SocketPair sp;
            FakeLow fake;
            fake.max_read = row.max_read;
            Stream stream(row.max_read == SIZE_MAX ? open_socket_stream(sp) : open_fake_stream(sp, fake));
            REQUIRE(install_deflate_layer(stream.s) == "");

            bool sent = true;
            std::thread peer_thread([&] {
                PeerDeflater deflater;
                // Odd input slices, some flushed and some not, so flush points fall anywhere.
                static const std::size_t slices[] = {1, 13, 4093, 65537, 333333, 2};
                std::size_t pos = 0;
                for (std::size_t i = 0; pos < payload.size(); ++i) {
                    std::size_t n = std::min(slices[i % std::size(slices)], payload.size() - pos);
                    int flush = (i % 3 == 2) ? Z_NO_FLUSH : Z_SYNC_FLUSH;
                    if (pos + n == payload.size()) flush = Z_SYNC_FLUSH;
                    std::string data = deflater.compress(payload.substr(pos, n), flush);
                    sent = sent && write_in_odd_pieces(sp.peer, data);
                    pos += n;
                }
                sent = sent && deflater.ok();
            });
            std::string got;
            if (row.by_line) {
                while (got.size() < payload.size()) {
                    std::string line = read_line(stream.s);
                    if (line.empty() || line == "<error>") break;
                    got += line;
                }
            } else {
                got = read_exactly(stream.s, payload.size());
            }
            peer_thread.join();

            CHECK(sent);
            REQUIRE(got.size() == payload.size());
            CHECK(got == payload);
        }
    }
}

TEST_CASE("deflate layer: EOF and end of stream from the peer give 0 or -1, never a hang", "[wrap][deflate]")
{
    TestGuard guard;
    SocketPair sp;
    Stream stream(open_socket_stream(sp));
    REQUIRE(install_deflate_layer(stream.s) == "");
    PeerDeflater deflater;
    char buf[64];

    SECTION("clean close after a flushed reply")
    {
        std::string bye = deflater.compress("* BYE logging out\r\n", Z_SYNC_FLUSH);
        REQUIRE(write_all(sp.peer, bye.data(), bye.size()));
        sp.close_peer();
        CHECK(read_line(stream.s) == "* BYE logging out\r\n");
        CHECK(mailstream_read(stream.s, buf, sizeof buf) == 0);
        CHECK(mailstream_read(stream.s, buf, sizeof buf) == 0); // stays at EOF
    }
    SECTION("the peer ends its deflate stream (Z_FINISH), then closes")
    {
        std::string fin = deflater.compress("* BYE\r\n", Z_FINISH);
        REQUIRE(write_all(sp.peer, fin.data(), fin.size()));
        sp.close_peer();
        CHECK(read_line(stream.s) == "* BYE\r\n");
        CHECK(mailstream_read(stream.s, buf, sizeof buf) == 0);
    }
    SECTION("a fresh deflate stream after Z_FINISH is read as well")
    {
        std::string first = deflater.compress("* first stream\r\n", Z_FINISH);
        PeerDeflater second_deflater;
        std::string data = first + second_deflater.compress("* second stream\r\n", Z_SYNC_FLUSH);
        REQUIRE(write_all(sp.peer, data.data(), data.size()));
        CHECK(read_line(stream.s) == "* first stream\r\n");
        CHECK(read_line(stream.s) == "* second stream\r\n");
    }
    SECTION("writing after the peer closed fails cleanly, and keeps failing")
    {
        sp.close_peer();
        CHECK_FALSE(send_line(stream.s, "a001 NOOP\r\n"));
        CHECK_FALSE(send_line(stream.s, "a002 NOOP\r\n"));
    }
    SECTION("close in the middle of a compressed block")
    {
        std::string partial = deflater.compress(make_payload(50'000, 3), Z_NO_FLUSH);
        REQUIRE(partial.size() > 20);
        REQUIRE(write_all(sp.peer, partial.data(), partial.size() / 2));
        sp.close_peer();
        std::string got = read_exactly(stream.s, 1'000'000); // stops at EOF
        CHECK(got.size() < 50'000);
        CHECK(mailstream_read(stream.s, buf, sizeof buf) <= 0);
    }
    SECTION("close before any byte")
    {
        sp.close_peer();
        CHECK(mailstream_read(stream.s, buf, sizeof buf) == 0);
        CHECK(read_line(stream.s) == "");
    }
}

TEST_CASE("deflate layer: a corrupt compressed stream is an error, not a crash", "[wrap][deflate]")
{
    TestGuard guard;
    SocketPair sp;
    Stream stream(open_socket_stream(sp));
    REQUIRE(install_deflate_layer(stream.s) == "");
    char buf[64];
    // 0xff opens a final block of the reserved type 3: zlib's "invalid block type".
    const std::string garbage(100, '\xff');

    SECTION("garbage from the first byte")
    {
        REQUIRE(write_all(sp.peer, garbage.data(), garbage.size()));
        CHECK(mailstream_read(stream.s, buf, sizeof buf) == -1);
        CHECK(mailstream_read(stream.s, buf, sizeof buf) == -1); // the stream stays failed
    }
    SECTION("a good reply, then garbage in the same segment")
    {
        PeerDeflater deflater;
        std::string data = deflater.compress("a001 OK fine\r\n", Z_SYNC_FLUSH) + garbage;
        REQUIRE(write_all(sp.peer, data.data(), data.size()));
        CHECK(read_line(stream.s) == "a001 OK fine\r\n"); // inflated before the damage: still delivered
        CHECK(mailstream_read(stream.s, buf, sizeof buf) == -1);
    }
    SECTION("a stream from a different compressor (zlib header instead of raw deflate)")
    {
        std::string wrapped(64, '\0');
        uLongf len = wrapped.size();
        const std::string text = "* OK hello hello hello hello\r\n";
        REQUIRE(compress2(reinterpret_cast<Bytef*>(wrapped.data()), &len,
                          reinterpret_cast<const Bytef*>(text.data()), text.size(), 6) == Z_OK);
        REQUIRE(write_all(sp.peer, wrapped.data(), len));
        // Read raw, the zlib header 78 9c is a stored block whose length check fails.
        CHECK(mailstream_read(stream.s, buf, sizeof buf) == -1);
    }
}

TEST_CASE("deflate layer: bytes read past the tagged OK are inflated, not returned raw", "[wrap][deflate]")
{
    TestGuard guard;
    // A server may send its first compressed bytes right behind "OK": libetpan then holds them in the
    // stream's buffer, already read from the socket, when the layer goes in.
    SocketPair sp;
    Stream stream(open_socket_stream(sp));
    PeerDeflater deflater;
    std::string data = "a1 OK DEFLATE active\r\n";
    data += deflater.compress("* OK compressed hello\r\n", Z_SYNC_FLUSH);
    // One write on a socketpair is queued whole, so libetpan's first read takes both parts.
    REQUIRE(write_all(sp.peer, data.data(), data.size()));

    CHECK(read_line(stream.s) == "a1 OK DEFLATE active\r\n");
    REQUIRE(stream.s->read_buffer_len > 0);
    REQUIRE(install_deflate_layer(stream.s) == "");
    CHECK(stream.s->read_buffer_len == 0);
    CHECK(read_line(stream.s) == "* OK compressed hello\r\n");
}

TEST_CASE("deflate layer: forwards fd, cancel, certificate chain, idle, identifier and frees all",
          "[wrap][deflate]")
{
    TestGuard guard;
    SocketPair sp;
    FakeLow fake;
    bool inner_freed = false;
    fake.freed = &inner_freed;
    mailstream* s = open_fake_stream(sp, fake);
    REQUIRE(s != nullptr);
    mailstream_low* inner = mailstream_get_low(s);
    mailstream_low_set_identifier(inner, strdup("imap://user@example.org"));
    mailstream_low_set_timeout(inner, 42);

    REQUIRE(install_deflate_layer(s) == "");
    mailstream_low* outer = mailstream_get_low(s);
    CHECK(outer != inner);
    CHECK(mailstream_low_get_fd(outer) == fake.fd);
    CHECK(std::string(mailstream_low_get_identifier(outer)) == "imap://user@example.org");
    CHECK(mailstream_low_get_timeout(outer) == 42);

    carray* chain = mailstream_get_certificate_chain(s);
    REQUIRE(chain != nullptr);
    REQUIRE(carray_count(chain) == 1);
    auto* der = static_cast<MMAPString*>(carray_get(chain, 0));
    CHECK(std::string(der->str, der->len) == "fake-der");
    mailstream_certificate_chain_free(chain);

    mailstream_cancel(s);
    CHECK(fake.cancelled == 1);
    CHECK(mailstream_low_setup_idle(outer) == 1);
    CHECK(mailstream_low_unsetup_idle(outer) == -1); // the fake has none: NULL entries stay safe
    CHECK(mailstream_low_get_cancel(outer) == nullptr);

    CHECK(install_deflate_layer(s) != ""); // twice would compress twice
    CHECK(mailstream_get_low(s) == outer);

    mailstream_close(s); // ASan's leak check covers the layer and both zlib streams
    CHECK(fake.closed == 1);
    CHECK(inner_freed);
    CHECK(install_deflate_layer(nullptr) != "");
}

TEST_CASE("deflate layer: a timeout set on the layer reaches the wrapped driver", "[wrap][deflate]")
{
    TestGuard guard;
    // mailimap sets its timeout on the stream's current low, which is the layer once installed.
    SocketPair sp;
    Stream stream(open_socket_stream(sp));
    REQUIRE(install_deflate_layer(stream.s) == "");
    mailstream_network_delay = timeval{60, 0}; // the guard restores it
    mailstream_low_set_timeout(mailstream_get_low(stream.s), 1);

    char buf[16];
    auto start = std::chrono::steady_clock::now();
    ssize_t n = mailstream_read(stream.s, buf, sizeof buf); // the peer sends nothing
    auto waited = std::chrono::steady_clock::now() - start;

    CHECK(n == -1);
    CHECK(waited < std::chrono::seconds(5));
}

TEST_CASE("deflate layer: a server flushing with Z_PARTIAL_FLUSH is read without waiting for more",
          "[wrap][deflate]")
{
    TestGuard guard;
    // RFC 4978 lets a server flush with Z_PARTIAL_FLUSH (no 00 00 ff ff marker). Each reply must be
    // readable in full from what was sent, because the server sends nothing more until it hears from
    // us: replies of many sizes around the stream's 8192-byte buffer, each acknowledged before the
    // next, so that output split across reads and zlib-internal pending output show up as a stall.
    SocketPair sp;
    Stream stream(open_socket_stream(sp));
    REQUIRE(install_deflate_layer(stream.s) == "");
    mailstream_low_set_timeout(mailstream_get_low(stream.s), 2); // a stall fails in 2 s, not 10

    std::vector<std::string> replies;
    for (std::size_t n = 8000; n < 8800; n += 13) replies.push_back("* " + std::string(n, 'A') + "\r\n");
    std::string peer_error;
    std::thread peer_thread([&] {
        PeerDeflater deflater;
        PeerInflater inflater;
        std::string acks;
        for (std::size_t i = 0; i < replies.size() && peer_error.empty(); ++i) {
            std::string data = deflater.compress(replies[i], Z_PARTIAL_FLUSH);
            bool acked = write_all(sp.peer, data.data(), data.size()) &&
                         inflater.read_until(sp.peer, acks, (i + 1) * 5); // "ack\r\n" each
            if (!acked)
                peer_error = "no ack for reply " + std::to_string(i);
        }
        if (!peer_error.empty()) shutdown(sp.peer, SHUT_RDWR);
    });
    std::size_t matched = 0;
    for (const std::string& reply : replies) {
        char buf[8192]; // libetpan's buffer size: reads go through the stream buffer, 8192 at a time
        std::string got;
        while (got.size() < reply.size()) {
            ssize_t n = mailstream_read(stream.s, buf, std::min(sizeof buf, reply.size() - got.size()));
            if (n <= 0) break;
            got.append(buf, static_cast<std::size_t>(n));
        }
        if (got != reply || !send_line(stream.s, "ack\r\n")) break;
        ++matched;
    }
    shutdown(sp.peer, SHUT_RDWR);
    peer_thread.join();
    CHECK(matched == replies.size());
}
