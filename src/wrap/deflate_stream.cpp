// COMPRESS=DEFLATE (RFC 4978) as a mailstream_low driver that wraps the session's existing low driver.
#include "wrap/deflate_stream.hpp"
#include "wrap/protocol_trace.hpp"

#include <libetpan/libetpan.h>
#include <zlib.h>

#include <algorithm>
#include <climits>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <new>
#include <string>
#include <vector>

namespace mailferry::wrap {
namespace {

// Compressed bytes pulled from the wrapped driver per read: several TLS records (16 KiB each), so a
// large FETCH needs few driver calls.
constexpr std::size_t input_chunk = 64 * 1024;
// Scratch space for deflate output; a full buffer is written out and deflate is called again.
constexpr std::size_t output_chunk = 16 * 1024;

// zlib counts in uInt (32 bits); a caller may pass a larger size_t. Doing less per call is allowed by
// the read/write contract, so clamp instead of failing.
uInt clamp_to_uint(std::size_t n)
{
    return static_cast<uInt>(std::min<std::size_t>(n, UINT_MAX));
}

// The layer's state. It lives on the heap behind mailstream_low::data and is never moved or copied:
// zlib's internal state points back at its z_stream, so a z_stream must stay where *Init2 saw it.
class DeflateLayer {
public:
    explicit DeflateLayer(mailstream_low* inner, std::size_t input_size)
        : inner_(inner), input_(std::max(input_chunk, input_size)), output_(output_chunk)
    {
    }
    DeflateLayer(const DeflateLayer&) = delete;
    DeflateLayer& operator=(const DeflateLayer&) = delete;
    ~DeflateLayer()
    {
        if (deflate_ready_) deflateEnd(&deflater_);
        if (inflate_ready_) inflateEnd(&inflater_);
    }

    std::string init();
    void adopt_read_ahead(mailstream* stream);
    ssize_t read(void* buf, std::size_t count);
    ssize_t write(const void* buf, std::size_t count);
    mailstream_low* inner() const { return inner_; }
    void sync_timeout(mailstream_low* outer)
    {
        mailstream_low_set_timeout(inner_, mailstream_low_get_timeout(outer));
    }

private:
    ssize_t inflate_some(void* buf, std::size_t count);
    ssize_t pull_compressed();
    bool push_compressed(std::size_t len);

    mailstream_low* inner_; // not owned here: the driver's free callback frees it (see layer_free)
    z_stream deflater_{};
    z_stream inflater_{};
    bool deflate_ready_ = false;
    bool inflate_ready_ = false;
    bool failed_ = false; // a zlib or socket error desynchronised the streams: every later call fails
    std::vector<unsigned char> input_;  // compressed bytes from the server, consumed by inflater_
    std::vector<unsigned char> output_; // compressed bytes for the server, produced by deflater_
};

std::string DeflateLayer::init()
{
    // RFC 4978: raw deflate, no zlib header, 32 KiB window. Negative windowBits selects raw format; the
    // inflater takes -15 so it accepts whatever window size the server chose. Level 1: our uplink is
    // commands and APPEND bodies; on text, level 6 deflates at ~40 MB/s on the CI-class machine, as
    // slow as pipelined APPEND itself (docs/dependencies.md), and level 1 at ~130 MB/s for a ratio of 0.28
    // instead of 0.23.
    if (deflateInit2(&deflater_, Z_BEST_SPEED, Z_DEFLATED, -15, 8, Z_DEFAULT_STRATEGY) != Z_OK)
        return std::string("deflateInit2 failed: ") + (deflater_.msg ? deflater_.msg : "out of memory");
    deflate_ready_ = true;
    if (inflateInit2(&inflater_, -15) != Z_OK)
        return std::string("inflateInit2 failed: ") + (inflater_.msg ? inflater_.msg : "out of memory");
    inflate_ready_ = true;
    return {};
}

// The server compresses from the first byte after the CRLF of its tagged OK. If the stream's buffer
// already holds bytes past that line, they are compressed data and belong to the inflater, not to the
// plaintext reader.
void DeflateLayer::adopt_read_ahead(mailstream* stream)
{
    std::size_t len = stream->read_buffer_len;
    if (len == 0) return;
    std::memcpy(input_.data(), stream->read_buffer, len); // input_ is at least buffer_max_size long
    inflater_.next_in = input_.data();
    inflater_.avail_in = static_cast<uInt>(len);
    stream->read_buffer_len = 0;
}

// One inflate step into the caller's buffer. Returns bytes produced (0 if zlib needs more input) or -1.
// It is called even when no compressed input is left: zlib's contract is that after filling the output
// it may hold more (a long match half copied), to be fetched before waiting on the socket for data
// the server may never send.
ssize_t DeflateLayer::inflate_some(void* buf, std::size_t count)
{
    uInt space = clamp_to_uint(count);
    inflater_.next_out = static_cast<Bytef*>(buf);
    inflater_.avail_out = space;
    int rc = inflate(&inflater_, Z_SYNC_FLUSH);
    auto produced = static_cast<ssize_t>(space - inflater_.avail_out);
    if (rc == Z_STREAM_END) {
        // RFC 4978 streams never end, but a peer that closes its stream with a final block before
        // hanging up is harmless: reset so that anything after it is read as a fresh stream.
        inflateReset(&inflater_);
    } else if (rc != Z_OK && rc != Z_BUF_ERROR) { // Z_BUF_ERROR only means "no progress yet"
        // Z_DATA_ERROR or Z_MEM_ERROR. Good data inflated before the bad block in the same input is
        // still delivered (the server's last reply may precede the damage); the error comes next call.
        failed_ = true;
        if (produced == 0) return -1;
    }
    return produced;
}

// Refills the inflater from the wrapped driver. Its read waits for data itself, honouring the
// timeout and cancel. Returns the byte count, 0 on EOF, -1 on error or timeout.
ssize_t DeflateLayer::pull_compressed()
{
    // Call the wrapped driver directly, not mailstream_low_read(): that would hand the compressed bytes
    // to libetpan's debug logger, and compressed LOGIN data there can be inflated back to the password
    // (privacy is only set on our low, which logs plaintext with it honoured).
    ssize_t n = inner_->driver->mailstream_read(inner_, input_.data(), input_.size());
    if (n <= 0) return n;
    inflater_.next_in = input_.data();
    inflater_.avail_in = static_cast<uInt>(n);
    return n;
}

ssize_t DeflateLayer::read(void* buf, std::size_t count)
{
    if (failed_) return -1;
    if (count == 0) return 0;
    for (;;) {
        uInt input_before = inflater_.avail_in;
        ssize_t got = inflate_some(buf, count);
        // Never return 0 for "nothing inflated yet": libetpan takes 0 as EOF. Keep reading instead.
        if (got != 0) return got;
        if (inflater_.avail_in == 0) {
            ssize_t n = pull_compressed();
            if (n <= 0) return n; // real EOF (0) or error/timeout (-1) of the wrapped driver
        } else if (inflater_.avail_in == input_before) {
            failed_ = true; // input left, output space given, nothing happened: zlib is stuck
            return -1;
        }
    }
}

// Writes len bytes of output_ to the wrapped driver, looping over short writes.
bool DeflateLayer::push_compressed(std::size_t len)
{
    const unsigned char* p = output_.data();
    while (len > 0) {
        // Direct driver call for the same reason as in pull_compressed(): no compressed bytes in logs.
        ssize_t n = inner_->driver->mailstream_write(inner_, p, len);
        if (n <= 0) return false;
        p += n;
        len -= static_cast<std::size_t>(n);
    }
    return true;
}

ssize_t DeflateLayer::write(const void* buf, std::size_t count)
{
    if (failed_) return -1;
    if (count == 0) return 0;
    uInt taken = clamp_to_uint(count);
    // zlib never writes through next_in; the cast only satisfies the non-const z_stream field.
    deflater_.next_in = static_cast<Bytef*>(const_cast<void*>(buf));
    deflater_.avail_in = taken;
    // Z_SYNC_FLUSH per call: the server must be able to inflate each command completely without waiting
    // for more input, or it would never answer. Repeat while deflate fills the whole output buffer.
    do {
        deflater_.next_out = output_.data();
        deflater_.avail_out = clamp_to_uint(output_.size());
        int rc = deflate(&deflater_, Z_SYNC_FLUSH);
        std::size_t len = output_.size() - deflater_.avail_out;
        // Once deflate has consumed input, a failed send leaves the server's inflater out of step with
        // ours for good: the stream is dead, not just this call.
        if ((rc != Z_OK && rc != Z_BUF_ERROR) || !push_compressed(len)) {
            failed_ = true;
            return -1;
        }
    } while (deflater_.avail_out == 0);
    return static_cast<ssize_t>(taken - deflater_.avail_in);
}

DeflateLayer* layer_of(mailstream_low* s)
{
    return static_cast<DeflateLayer*>(s->data);
}

// The driver callbacks: thin C-shaped shims over DeflateLayer or forwards to the wrapped low.
// Forwarding goes through the mailstream_low_* functions where the wrapped driver may leave the entry
// NULL (the plain socket driver has no certificate chain and no idle hooks); they check for NULL.

ssize_t layer_read(mailstream_low* s, void* buf, std::size_t count)
{
    DeflateLayer* layer = layer_of(s);
    layer->sync_timeout(s); // mailimap sets its timeout on the stream's current low, which is ours
    return layer->read(buf, count);
}

ssize_t layer_write(mailstream_low* s, const void* buf, std::size_t count)
{
    DeflateLayer* layer = layer_of(s);
    layer->sync_timeout(s);
    return layer->write(buf, count);
}

int layer_close(mailstream_low* s)
{
    return mailstream_low_close(layer_of(s)->inner());
}

int layer_get_fd(mailstream_low* s)
{
    return mailstream_low_get_fd(layer_of(s)->inner());
}

// libetpan's mailstream_low_free() has already freed our identifier; we free the rest, including the
// mailstream_low struct itself (malloc'd by mailstream_low_new), as every libetpan driver does.
void layer_free(mailstream_low* s)
{
    std::unique_ptr<DeflateLayer> layer(layer_of(s));
    mailstream_low_free(layer->inner());
    s->data = nullptr;
    std::free(s);
}

void layer_cancel(mailstream_low* s)
{
    mailstream_low_cancel(layer_of(s)->inner());
}

// "struct" is required: mailstream.h also declares a function named mailstream_cancel.
struct mailstream_cancel* layer_get_cancel(mailstream_low* s)
{
    return mailstream_low_get_cancel(layer_of(s)->inner());
}

carray* layer_get_certificate_chain(mailstream_low* s)
{
    return mailstream_low_get_certificate_chain(layer_of(s)->inner());
}

int layer_setup_idle(mailstream_low* s)
{
    return mailstream_low_setup_idle(layer_of(s)->inner());
}

int layer_unsetup_idle(mailstream_low* s)
{
    return mailstream_low_unsetup_idle(layer_of(s)->inner());
}

int layer_interrupt_idle(mailstream_low* s)
{
    return mailstream_low_interrupt_idle(layer_of(s)->inner());
}

mailstream_low_driver deflate_driver = {
    layer_read,
    layer_write,
    layer_close,
    layer_get_fd,
    layer_free,
    layer_cancel,
    layer_get_cancel,
    layer_get_certificate_chain,
    layer_setup_idle,
    layer_unsetup_idle,
    layer_interrupt_idle,
};

// The new low takes over what callers may have set on the old one and would otherwise lose.
void inherit_settings(mailstream_low* outer, mailstream_low* inner)
{
    mailstream_low_set_timeout(outer, mailstream_low_get_timeout(inner));
    if (const char* id = mailstream_low_get_identifier(inner)) {
        if (char* copy = strdup(id)) mailstream_low_set_identifier(outer, copy); // takes ownership
    }
}

} // namespace

std::string install_deflate_layer(_mailstream* stream)
{
    if (stream == nullptr) return "install_deflate_layer: no stream";
    mailstream_low* inner = mailstream_get_low(stream);
    if (inner == nullptr) return "install_deflate_layer: stream has no low-level driver";
    if (inner->driver == &deflate_driver) return "install_deflate_layer: COMPRESS is already active";

    std::unique_ptr<DeflateLayer> layer;
    try {
        layer = std::make_unique<DeflateLayer>(inner, stream->buffer_max_size);
    } catch (const std::bad_alloc&) {
        return "install_deflate_layer: out of memory";
    }
    if (std::string error = layer->init(); !error.empty()) return "install_deflate_layer: " + error;

    mailstream_low* outer = mailstream_low_new(layer.get(), &deflate_driver);
    if (outer == nullptr) return "install_deflate_layer: out of memory";
    // Nothing below can fail, so the stream is only touched once success is certain.
    inherit_settings(outer, inner);
    layer->adopt_read_ahead(stream);
    layer.release(); // owned by outer from here on; layer_free() deletes it
    mailstream_set_low(stream, outer);
    // Only the outermost layer logs (a --debug trace): beneath it the bytes are compressed.
    silence_layer(inner);
    return {};
}

} // namespace mailferry::wrap
