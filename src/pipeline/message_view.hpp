// A cached message as a reviewer reads it (mailferry show; a web view
// tomorrow): the same rendering wherever it is shown.
#pragma once

#include <string>
#include <string_view>

namespace mailferry::pipeline {

// The header section as cached, up to and with the empty line that ends it
// (CRLF or bare LF, whichever comes first); the whole message when none does.
std::string_view header_section(std::string_view bytes);

// From, To, Cc, Date and Subject decoded, one "Attachment:" line per
// attachment, a note when the MIME structure could not be read whole, an
// empty line, then the text body (HTML as text); ends with a line break.
std::string message_as_text(std::string_view bytes);

}  // namespace mailferry::pipeline
