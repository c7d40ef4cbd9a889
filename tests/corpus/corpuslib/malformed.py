"""malformed/: mail broken on purpose. A reader must not crash, must keep
what can be read (the records' words), and must say when text may be
missing (trait text-incomplete: extract_text's parsed is false)."""

import base64

from . import kinds, text
from .emlfolder import EmlFolder, meta
from .mime import basic_mail, body_bytes, multipart_body, part, plain_sender, text_part, utc


def _mail(rng, ids, n, subject, ctype, cte=None):
    m = basic_mail(plain_sender(*text.person(rng)), "crew@example.org", subject, subject,
                   utc(2019, 1, 1) + n * 86400 * 5, 0, ids.next())
    m.add("MIME-Version", "1.0").add("Content-Type", ctype)
    if cte:
        m.add("Content-Transfer-Encoding", cte)
    return m


def _b64_part(lang, rng):
    return text_part(text.foreign_body(lang, rng), "utf-8", "base64")


def mime(root, rng):
    f = EmlFolder(root, "malformed/mime", ["broken-mime"])
    ids = kinds.Ids("bad-mime", "example.org")
    m = _mail(rng, ids, 0, "No closing boundary", 'multipart/mixed; boundary="open-end"')
    m.body = multipart_body("open-end", [_b64_part("ru", rng), _b64_part("he", rng)], close=False)
    m.words = text.MARKERS["ru"] + text.MARKERS["he"]
    f.put("missing-closing-boundary.eml", m.trait("missing-close-delimiter"))

    m = _mail(rng, ids, 1, "Boundary never present", 'multipart/mixed; boundary="never-here"')
    m.body = text.english_body(rng, 2).encode()
    f.put("boundary-never-present.eml", m.trait("boundary-missing", "text-incomplete"))

    m = _mail(rng, ids, 2, "No boundary parameter", "multipart/mixed")
    m.body = text.english_body(rng, 2).encode()
    f.put("no-boundary-parameter.eml", m.trait("no-boundary-param", "text-incomplete"))

    m = _mail(rng, ids, 3, "An empty multipart", 'multipart/mixed; boundary="nothing"')
    m.body = b"--nothing--\n"
    f.put("empty-multipart.eml", m.trait("empty-multipart"))

    m = _mail(rng, ids, 4, "Content-Type without subtype", "text; charset=utf-8", "8bit")
    m.body = text.english_body(rng, 1).encode()
    f.put("content-type-no-subtype.eml", m.trait("no-subtype"))

    m = _mail(rng, ids, 5, "8-bit bytes in a 7bit part", "text/plain; charset=us-ascii", "7bit")
    m.body = text.foreign_body("de", rng).encode()
    f.put("8bit-in-7bit.eml", m.trait("8bit-in-7bit"))

    m = _mail(rng, ids, 6, "Unknown transfer encoding", "text/plain; charset=us-ascii", "x-mailferry-squeeze")
    m.body = text.english_body(rng, 1).encode()
    f.put("unknown-transfer-encoding.eml", m.trait("unknown-cte"))

    m = _mail(rng, ids, 7, "Inner multipart never closed", 'multipart/mixed; boundary="outer-ok"')
    alt = part([("Content-Type", 'multipart/alternative; boundary="inner-open"')],
               multipart_body("inner-open", [_b64_part("ja", rng)], close=False))
    m.body = multipart_body("outer-ok", [alt, _b64_part("zh-hans", rng)])
    m.words = text.MARKERS["ja"] + text.MARKERS["zh-hans"]
    f.put("inner-not-closed.eml", m.trait("missing-close-delimiter", "nested"))
    _types_without_subtype(f, rng.fork("more-mime"), ids)  # added later: the files above keep their bytes
    return f.manifest()


def _types_without_subtype(f, rng, ids):
    """'Content-Type: multipart' and 'Content-Type: message' without a subtype: read as
    multipart/mixed and message/rfc822; 'Content-Type: plain' (a subtype alone): the default, text/plain."""
    m = _mail(rng, ids, 8, "Multipart without subtype", 'multipart; boundary="no-subtype"')
    m.body = multipart_body("no-subtype", [_b64_part("ko", rng), _b64_part("fr", rng)])
    m.words = text.MARKERS["ko"] + text.MARKERS["fr"]
    f.put("multipart-no-subtype.eml", m.trait("no-subtype", "mixed"))

    word = kinds.token("nosub", 1)
    inner = _mail(rng, ids, 9, "The inner message", "text/plain; charset=utf-8", "base64")
    inner.body = body_bytes(("%s\nMarker %s.\n" % (text.english_body(rng, 1), word)).encode(), "base64")
    m = _mail(rng, ids, 10, "Message part without subtype", 'multipart/mixed; boundary="msg-no-subtype"')
    m.body = multipart_body("msg-no-subtype", [text_part("The message below came this way.\n", "us-ascii", "7bit"),
                                               part([("Content-Type", "message")], inner.to_bytes())])
    m.words = [word]
    f.put("message-no-subtype.eml", m.trait("no-subtype", "rfc822"))

    m = _mail(rng, ids, 11, "Subtype without a type", "plain; charset=utf-8", "base64")
    m.body = body_bytes(text.foreign_body("he", rng).encode(), "base64")
    m.words = list(text.MARKERS["he"])
    f.put("content-type-subtype-only.eml", m.trait("no-type", "cte:base64"))


def encoding(root, rng):
    f = EmlFolder(root, "malformed/encoding", ["broken-encoding"])
    ids = kinds.Ids("bad-enc", "example.org")
    encoded = body_bytes(text.foreign_body("ru", rng, 12).encode(), "base64")
    cut = encoded[: len(encoded) * 3 // 5 - 3]  # mid-line, and not a whole number of quanta
    whole = b"".join(cut.split())
    readable = base64.b64decode(whole[: len(whole) // 4 * 4]).decode("utf-8", "ignore")
    m = _mail(rng, ids, 0, "Truncated base64", "text/plain; charset=utf-8", "base64")
    m.body = cut
    m.words = [w for w in text.MARKERS["ru"] if w in readable]
    f.put("truncated-base64.eml", m.trait("truncated-base64"))

    m = _mail(rng, ids, 1, "Invalid base64 characters", "text/plain; charset=utf-8", "base64")
    lines = body_bytes(text.foreign_body("ja", rng).encode(), "base64").split(b"\n")
    m.body = b"\n".join((b"!" + line + b"*" if k % 2 else line.replace(b"A", b"A ")) for k, line in enumerate(lines))
    m.words = list(text.MARKERS["ja"])
    f.put("invalid-base64-chars.eml", m.trait("invalid-base64"))

    m = _mail(rng, ids, 2, "Unknown charset", "text/plain; charset=x-mailferry-nowhere", "8bit")
    m.body = text.foreign_body("ru", rng).encode("koi8_r")
    f.put("unknown-charset.eml", m.trait("unknown-charset"))

    m = _mail(rng, ids, 3, "Broken quoted-printable", "text/plain; charset=utf-8", "quoted-printable")
    m.body = body_bytes(text.foreign_body("de", rng).encode(), "quoted-printable") + b"Odd =ZZ and =4 and a last =\n"
    m.words = list(text.MARKERS["de"])
    f.put("bad-quoted-printable.eml", m.trait("bad-qp"))

    m = _mail(rng, ids, 4, "x", "text/plain; charset=us-ascii", "7bit")
    m.headers = [(n, v) for n, v in m.headers if n != "Subject"]
    m.add("Subject", "=?utf-8?B?bm90IHZhbGlk***?= =?x-nowhere?Q?abc?= =?utf-8?Q?unterminated")
    m.subject = None  # no defined decoding: tests only ask for valid UTF-8
    m.body = b"Subject with broken encoded words.\n"
    f.put("bad-encoded-words.eml", m.trait("bad-encoded-words"))
    return f.manifest()


def headers(root, rng):
    f = EmlFolder(root, "malformed/headers", ["broken-headers"])
    ids = kinds.Ids("bad-head", "example.org")
    body = text.english_body(rng, 2).encode()
    f.put("header-less.eml", meta(traits=["no-header"]), body)
    f.put("headers-into-body.eml", meta("Straight into the body", traits=["no-blank-line"]),
          b"Subject: Straight into the body\nFrom: crew@example.org\nThis line is body text but no blank line came first.\n"
          b"Nor here.\n")
    f.put("only-headers.eml", meta("Only a header", "crew@example.org", "<only-head.1@example.org>", traits=["only-headers"]),
          b"From: crew@example.org\nSubject: Only a header\nMessage-ID: <only-head.1@example.org>\n")
    m = _mail(rng, ids, 3, "x", "text/plain; charset=us-ascii", "7bit")
    m.headers = [(n, b"Null\x00byte in the subject" if n == "Subject" else v) for n, v in m.headers]
    m.subject = None
    m.body = b"A NUL \x00 in the body, and one more\x00.\n"
    f.put("nul-bytes.eml", m.trait("nul"))
    m = _mail(rng, ids, 4, "x", "text/plain; charset=us-ascii", "7bit")
    m.headers = [(n, "Grüße aus Süderoog".encode("latin-1") if n == "Subject" else v) for n, v in m.headers]
    m.subject = None  # raw Latin-1: a guess, not a rule
    m.body = b"Latin-1 bytes in the subject.\n"
    f.put("8bit-latin1-header.eml", m.trait("8bit-header"))
    m = _mail(rng, ids, 5, "A header section over 256 KiB", "text/plain; charset=us-ascii", "7bit")
    for k in range(3000):
        m.add("X-Filler-%04d" % k, "padding " * 11)
    m.body = b"Short body after a huge header.\n"
    f.put("huge-header-section.eml", m.trait("huge-header", "text-incomplete"))
    return f.manifest()

