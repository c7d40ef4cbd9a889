// COMPRESS=DEFLATE (RFC 4978) as a libetpan stream layer of our own.
//
// Debian's libetpan 1.9.4 is built without zlib: mailimap_compress() gets OK from the server and then
// leaves the session unusable (docs/dependencies.md). Never call it; send "COMPRESS DEFLATE" yourself and,
// on the tagged OK, call install_deflate_layer() on the session's mailstream.
#pragma once

#include <string>

struct _mailstream; // libetpan's mailstream (typedef struct _mailstream mailstream)

namespace mailferry::wrap {

// Wraps the low-level driver of an open mailstream (plain socket or TLS) in raw deflate (windowBits -15)
// for writing and raw inflate for reading, as RFC 4978 requires. Call it right after the server's tagged
// OK to "COMPRESS DEFLATE": bytes the stream already read past that OK are taken as compressed.
//
// Ownership: on success the stream owns the layer; closing/freeing the mailstream (mailstream_close)
// frees it and the wrapped driver. On failure the stream is left exactly as it was.
// Errors: returns an empty string on success, else a one-line error.
// Forwarded to the wrapped driver: get_fd, cancel, get_cancel, the certificate chain (so
// mailstream_get_certificate_chain still returns the TLS chain), idle setup/interrupt, and the timeout
// set on the new low with mailstream_low_set_timeout.
// Limits: a read or write error (corrupt data, failed socket) is final for the stream, since the two
// zlib streams cannot resynchronise. mailstream_wait_idle polls the socket and cannot see plaintext
// already inflated and buffered inside the layer; mailferry does not use IDLE.
// Thread-safety: as for the mailstream itself, one thread at a time; mailstream_cancel from another
// thread stays safe, since it goes straight to the wrapped driver without touching the layer's state.
std::string install_deflate_layer(_mailstream* stream);

} // namespace mailferry::wrap
