// Content-Transfer-Encoding decoders for the text of a part (RFC 2045 §6),
// lenient the way mail clients are: they never fail, and what is not valid
// encoding is skipped (base64) or kept as it is (quoted-printable).
// Thread-safety: pure functions.
#pragma once

#include <string>
#include <string_view>

namespace mailferry::mime {

enum class TransferEncoding {
    identity,          // 7bit, 8bit, binary, absent, or a spelling we do not know
    base64,
    quoted_printable,
    unreadable,        // x-uuencode, x-gzip64, ...: bytes that are not text as they stand
};

// From a Content-Transfer-Encoding value: " Base64 ", "quoted printable"
// (a broken spelling seen in real mail) and "x-uuencode" included.
TransferEncoding transfer_encoding_of(std::string_view value);

// Characters outside the alphabet (line breaks, spaces, junk) are skipped;
// '=' ends a group, so concatenated base64 chunks decode as well; a last
// incomplete group yields the bytes it holds.
void append_base64_decoded(std::string_view in, std::string& out);

// "=XX" (either case) is the byte XX; '=' before optional blanks and a line
// break is a soft line break; any other '=' stays as it is.
void append_qp_decoded(std::string_view in, std::string& out);

// RFC 2047's Q encoding: quoted-printable where '_' is a space and there are
// no line breaks.
void append_q_decoded(std::string_view in, std::string& out);

}  // namespace mailferry::mime
