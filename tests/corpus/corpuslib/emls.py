"""eml/charsets, eml/encodings, eml/headers, eml/line-endings: one message per file."""

import base64
import binascii
import gzip
import re

from . import kinds, text
from .emlfolder import EmlFolder, meta
from .mime import (asctime, basic_mail, body_bytes, encode_text, ew_b, ew_q, multipart_body, part, plain_sender,
                   text_part, utc)
from .rng import pseudo_bytes

# (file, language, charset, transfer encoding, subject encoding, sender name in that charset or None)
CHARSET_FILES = [
    ("iso-2022-jp-7bit.eml", "ja", "iso-2022-jp", "7bit", "B", "山田 波子"),
    ("iso-2022-jp-base64.eml", "ja", "iso-2022-jp", "base64", "B", None),
    ("gb2312-base64.eml", "zh-hans", "gb2312", "base64", "B", "王 海燕"),
    ("gb2312-qp.eml", "zh-hans", "gb2312", "quoted-printable", "Q", None),
    ("big5-base64.eml", "zh-hant", "big5", "base64", "B", "陳 港生"),
    ("big5-8bit.eml", "zh-hant", "big5", "8bit", "B", None),
    ("koi8-r-8bit.eml", "ru", "koi8-r", "8bit", "B", "Паромная служба"),
    ("koi8-r-base64.eml", "ru", "koi8-r", "base64", "Q", None),
    ("windows-1252-qp.eml", "fr", "windows-1252", "quoted-printable", "Q", "Éloïse Moreau"),
    ("windows-1252-8bit.eml", "de", "windows-1252", "8bit", "Q", "Jürgen Weiß"),
    ("iso-8859-8-base64.eml", "he", "iso-8859-8", "base64", "B", "נמל הצפון"),
    ("iso-8859-8-qp.eml", "he", "iso-8859-8", "quoted-printable", "Q", None),
    ("utf-8-qp.eml", "ru", "utf-8", "quoted-printable", "Q", None),
    ("utf-8-base64.eml", "ja", "utf-8", "base64", "B", None),
    ("utf-8-8bit.eml", "de", "utf-8", "8bit", "Q", None),
    ("euc-jp-base64.eml", "ja", "euc-jp", "base64", "B", None),
    ("euc-jp-8bit.eml", "ja", "euc-jp", "8bit", "B", "佐々木 灯"),
]


def charsets(root, rng):
    f = EmlFolder(root, "eml/charsets", ["charsets"])
    ids = kinds.Ids("charsets", "example.net")
    for i, (name, lang, charset, cte, how, sender) in enumerate(CHARSET_FILES):
        m = kinds.foreign(rng, ids, utc(2012, 1, 1) + i * 86400 * 40, "harbour@example.net", (lang, charset, cte, how))
        if sender:
            addr = "sender%d@example.net" % i
            encoded = (ew_b if how == "B" else ew_q)(sender, charset)
            m.headers = [("From", "%s <%s>" % (encoded, addr)) if n == "From" else (n, v) for n, v in m.headers]
            m.sender = "%s <%s>" % (sender, addr)
            m.trait("rfc2047-from")
        f.put(name, m)
    _html_meta_charset(f, rng, ids)
    _utf16(f, rng, ids)
    _east_asian_and_utf7(f, rng.fork("more-charsets"), ids)
    return f.manifest()


# Added later, with a stream of their own (the files above keep their bytes): charsets that
# glibc knows under another name (Shift_JIS -> CP932, KS C 5601 / EUC-KR -> CP949) and UTF-7.
MORE_CHARSET_FILES = [
    ("shift_jis-base64.eml", "ja", "shift_jis", "base64", "B", "小林 港"),
    ("ks_c_5601-1987-base64.eml", "ko", "ks_c_5601-1987", "base64", "B", "김 부두"),
    ("euc-kr-8bit.eml", "ko", "euc-kr", "8bit", "B", None),
    ("utf-7.eml", "ru", "utf-7", "7bit", "B", None),
]


def _east_asian_and_utf7(f, rng, ids):
    for i, (name, lang, charset, cte, how, sender) in enumerate(MORE_CHARSET_FILES):
        m = kinds.foreign(rng, ids, utc(2013, 6, 1) + i * 86400 * 40, "harbour@example.net", (lang, charset, cte, how))
        if sender:
            addr = "sender%d@example.net" % (100 + i)
            m.headers = [("From", "%s <%s>" % (ew_b(sender, charset), addr)) if n == "From" else (n, v)
                         for n, v in m.headers]
            m.sender = "%s <%s>" % (sender, addr)
            m.trait("rfc2047-from")
        f.put(name, m)
    _html_meta_after_other_meta(f, rng, ids)


def _html_meta_after_other_meta(f, rng, ids):
    """text/html in Shift_JIS, base64, no charset parameter: the charset is in the second
    <meta>; the first one (keywords) has no charset in it and must be passed over."""
    m = basic_mail(plain_sender(*text.person(rng)), "harbour@example.net", "Meta charset after keywords",
                   "Meta charset after keywords", utc(2013, 12, 12), 540, ids.next())
    html = ('<html><head>\n<meta name="keywords" content="dock, cranes">\n'
            '<meta http-equiv="Content-Type" content="text/html; charset=Shift_JIS">\n</head>\n<body>\n<p>%s</p>\n'
            "</body></html>\n" % "</p>\n<p>".join(text.SENTENCES["ja"][:4]))
    m.add("MIME-Version", "1.0").add("Content-Type", "text/html").add("Content-Transfer-Encoding", "base64")
    m.body = body_bytes(encode_text(html, "shift_jis"), "base64")
    m.trait("charset:shift_jis", "html-meta-charset", "html-only", "cte:base64")
    m.words = list(text.MARKERS["ja"])
    f.put("html-meta-charset-shift_jis.eml", m)


def _html_meta_charset(f, rng, ids):
    """text/html without a charset parameter: the <meta> in the HTML names KOI8-R."""
    m = basic_mail(plain_sender(*text.person(rng)), "harbour@example.net", "Meta charset only", "Meta charset only",
                   utc(2013, 2, 2), 180, ids.next())
    html = ('<html><head><meta http-equiv="Content-Type" content="text/html; charset=koi8-r"></head>\n<body>\n<p>%s</p>\n'
            "</body></html>\n" % "</p>\n<p>".join(text.SENTENCES["ru"][:4]))
    m.add("MIME-Version", "1.0").add("Content-Type", "text/html").add("Content-Transfer-Encoding", "8bit")
    m.body = encode_text(html, "koi8-r")
    m.trait("charset:koi8-r", "html-meta-charset", "html-only", "cte:8bit")
    m.words = list(text.MARKERS["ru"])
    f.put("html-meta-charset.eml", m)


def _utf16(f, rng, ids):
    m = basic_mail(plain_sender(*text.person(rng)), "harbour@example.net", "UTF-16 text", "UTF-16 text",
                   utc(2013, 3, 3), 0, ids.next())
    m.add("MIME-Version", "1.0").add("Content-Type", "text/plain; charset=utf-16").add("Content-Transfer-Encoding", "base64")
    m.body = body_bytes(text.foreign_body("he", rng).encode("utf-16"), "base64")
    m.trait("charset:utf-16", "cte:base64")
    m.words = list(text.MARKERS["he"])
    f.put("utf-16-base64.eml", m)


# --- transfer encodings ------------------------------------------------------------------------------

def _text_mail(rng, ids, n, subject, ctype, cte, body, traits, words=()):
    m = basic_mail(plain_sender(*text.person(rng)), "crew@example.org", subject, subject,
                   utc(2014, 1, 1) + n * 86400 * 9, 60, ids.next())
    m.add("MIME-Version", "1.0").add("Content-Type", ctype).add("Content-Transfer-Encoding", cte)
    m.body = body
    m.trait(*traits)
    m.words = list(words)
    return m


def encodings(root, rng):
    f = EmlFolder(root, "eml/encodings", ["transfer-encodings"])
    ids = kinds.Ids("encodings", "example.org")
    de = text.foreign_body("de", rng, 6).encode()
    long_de = (" ".join(text.SENTENCES["de"]) * 3 + "\nA line with = signs = here.   \n").encode()
    qp = body_bytes(long_de, "quoted-printable")
    lower = re.sub(rb"=([0-9A-F]{2})", lambda mo: b"=" + mo.group(1).lower(), qp)
    ru = text.foreign_body("ru", rng, 8).encode()
    utf8 = "text/plain; charset=utf-8"
    rows = [("base64-text.eml", "base64", body_bytes(de, "base64"), ["cte:base64"], text.MARKERS["de"]),
            ("qp-text.eml", "quoted-printable", qp, ["cte:quoted-printable", "soft-line-breaks"], text.MARKERS["de"]),
            ("qp-lowercase-hex.eml", "quoted-printable", lower, ["cte:quoted-printable", "qp-lowercase"], text.MARKERS["de"]),
            ("8bit-text.eml", "8bit", de, ["cte:8bit"], []),
            ("7bit-text.eml", "7bit", text.english_body(rng, 2).encode(), ["cte:7bit"], []),
            ("base64-one-line.eml", "base64", base64.b64encode(ru) + b"\n", ["cte:base64", "base64-one-line"],
             text.MARKERS["ru"]),
            ("binary-text.eml", "binary", de.replace(b"\n", b"\r\n"), ["cte:binary"], [])]
    for n, (name, cte, body, traits, words) in enumerate(rows):
        f.put(name, _text_mail(rng, ids, n, "Encoding: " + name[:-4], utf8, cte, body, traits, words))
    _binary_attachment(f, rng, ids)
    _uuencoded(f, rng, ids)
    _mixed_encodings(f, rng, ids)
    more = rng.fork("more-encodings")  # added later: the files above keep their bytes
    _gzip64(f, more, ids)
    _format_flowed(f, more, ids)
    return f.manifest()


def _gzip64(f, rng, ids):
    """A text/plain part in x-gzip64 (gzip, then base64), without a name: not readable text,
    so its words are not the message's text; the first part's are."""
    word, hidden = kinds.token("gzip", 1), kinds.token("gzip", 2)
    m = _text_mail(rng, ids, 23, "Log attached, gzip64", 'multipart/mixed; boundary="gz64-1"', "7bit", b"",
                   ["cte:x-gzip64", "cte:base64"], [word])
    log = "".join("%s %s\n" % (hidden if k == 7 else "ferry-log", text.sentence(rng)) for k in range(40))
    packed = gzip.compress(log.encode(), mtime=0)
    gz = part([("Content-Type", "text/plain; charset=us-ascii"), ("Content-Transfer-Encoding", "x-gzip64")],
              body_bytes(packed, "base64"))
    m.body = multipart_body("gz64-1", [text_part("The crossing log, packed. Marker %s.\n" % word, "utf-8", "base64"), gz])
    f.put("x-gzip64.eml", m, not_words=[hidden])


def _format_flowed(f, rng, ids):
    """format=flowed; delsp=yes (RFC 3676): soft line breaks after a trailing space, a quoted
    flowed paragraph, and a signature separator."""
    lines = []
    for k, line in enumerate(text.wrap(text.paragraph(rng, 4), 60)):
        lines.append(line + " ")
    lines[-1] = lines[-1].rstrip()
    quoted = ["> " + l + " " for l in text.wrap(text.paragraph(rng, 2), 58)]
    quoted[-1] = quoted[-1].rstrip()
    body = "\n".join(["Hello crew,", ""] + lines + ["", "On Monday the harbour office wrote:"] + quoted +
                     ["", "-- ", "Ferry desk"]) + "\n"
    m = _text_mail(rng, ids, 24, "Flowed text", "text/plain; charset=us-ascii; format=flowed; delsp=yes", "7bit",
                   body.encode(), ["cte:7bit", "format-flowed"])
    f.put("format-flowed.eml", m)


def _binary_attachment(f, rng, ids):
    blob = bytes(range(256)) + pseudo_bytes("blob.bin", 3000)
    blob = blob.replace(b"\n--", b"\n-x")  # no line in it may look like a delimiter
    m = _text_mail(rng, ids, 20, "A binary part", 'multipart/mixed; boundary="bin-1"', "binary", b"",
                   ["cte:binary", "nul", "attachment"])
    att = part([("Content-Type", 'application/octet-stream; name="blob.bin"'), ("Content-Transfer-Encoding", "binary"),
                ("Content-Disposition", 'attachment; filename="blob.bin"')], blob)
    m.body = multipart_body("bin-1", [text_part("The blob is attached, raw.\n", "us-ascii", "7bit"), att])
    m.attachments = ["blob.bin"]
    f.put("binary-attachment.eml", m)


def _uuencoded(f, rng, ids):
    data = pseudo_bytes("chart.dat", 900)
    lines = [binascii.b2a_uu(data[k:k + 45]) for k in range(0, len(data), 45)]
    uu = b"begin 644 chart.dat\n" + b"".join(lines) + b"`\nend\n"
    m = _text_mail(rng, ids, 21, "uuencoded chart", 'multipart/mixed; boundary="uu-1"', "7bit", b"",
                   ["cte:x-uuencode", "attachment"])
    att = part([("Content-Type", 'application/octet-stream; name="chart.dat"'), ("Content-Transfer-Encoding", "x-uuencode")], uu)
    m.body = multipart_body("uu-1", [text_part("Chart attached, the old way.\n", "us-ascii", "7bit"), att])
    m.attachments = ["chart.dat"]
    f.put("uuencode.eml", m)


def _mixed_encodings(f, rng, ids):
    m = _text_mail(rng, ids, 22, "Three texts, three encodings", 'multipart/mixed; boundary="enc-3"', "7bit", b"",
                   ["cte:base64", "cte:quoted-printable", "cte:8bit", "charset:koi8-r", "charset:windows-1252"])
    parts = [text_part(text.foreign_body("ru", rng), "koi8-r", "base64"),
             text_part(text.foreign_body("fr", rng), "windows-1252", "quoted-printable"),
             text_part(text.foreign_body("de", rng), "utf-8", "8bit")]
    m.body = multipart_body("enc-3", parts)
    m.words = list(text.MARKERS["ru"]) + list(text.MARKERS["fr"])
    f.put("mixed-encodings.eml", m)


# --- header fields -----------------------------------------------------------------------------------

def headers(root, rng):
    f = EmlFolder(root, "eml/headers", ["headers"])
    ids = kinds.Ids("headers", "example.com")
    subj = "Fähre nach Süderoog – Änderung"
    raw_from = "Jürgen Weiß <juergen@example.com>"
    m = basic_mail((raw_from, raw_from.encode()), "crew@example.org", subj.encode(), subj, utc(2016, 4, 4), 120, ids.next())
    m.add("MIME-Version", "1.0").add("Content-Type", "text/plain; charset=utf-8").add("Content-Transfer-Encoding", "8bit")
    m.body = text.foreign_body("de", rng).encode()
    f.put("8bit-utf8-headers.eml", m.trait("8bit-header", "charset:utf-8"))

    refs = " ".join("<ref.%d.%s@example.com>" % (k, "x" * 12) for k in range(60))
    m = kinds.plain(rng, ids, utc(2016, 5, 5), "crew@example.org")
    m.add("References", refs).add("X-Long-Header", "a" * 3000)
    f.put("overlong-header.eml", m.trait("overlong-header"))

    m = kinds.plain(rng, ids, utc(2016, 6, 6), "crew@example.org")
    long_subject = "A subject long enough to be folded over three lines of the header section by the sender"
    m.headers = [(n, v) for n, v in m.headers if n != "Subject"]
    m.headers = [(n, v) for n, v in m.headers if n != "To"]
    m.add("Subject", long_subject.replace(" long enough", "\n long enough").replace(" of the", "\n of the"))
    m.add("To", "one@example.org,\n two@example.org,\n\tthree@example.org")
    m.subject = long_subject
    f.put("folded-headers.eml", m.trait("folded-header"))

    f.put("rfc2047-100-words.eml", _hundred_words(rng, ids))
    m = kinds.plain(rng, ids, utc(2016, 8, 8), "crew@example.org")
    f.put("mbox-envelope.eml", m.trait("mbox-envelope"),
          envelope=("From %s %s\n" % ("crew@example.org", asctime(utc(2016, 8, 8, 0, 5)))).encode())
    m = kinds.plain(rng, ids, utc(2016, 9, 9), "crew@example.org")
    m.headers = [(n, v) for n, v in m.headers if n != "Message-ID"]
    m.message_id = None
    f.put("no-message-id.eml", m.trait("no-message-id"))
    m = kinds.plain(rng, ids, utc(2016, 10, 10), "crew@example.org", subject="placeholder")
    m.headers = [(n, "" if n == "Subject" else v) for n, v in m.headers]
    m.subject = ""
    f.put("empty-subject.eml", m.trait("empty-subject"))
    # Nothing at all after the colon, not even a space (scripts and some list servers).
    m = kinds.plain(rng, ids, utc(2016, 11, 11), "crew@example.org", subject="placeholder")
    m.subject = ""
    data = m.to_bytes().replace(b"Subject: placeholder\n", b"Subject:\nCc:\n", 1)
    f.put("empty-fields.eml", m.trait("empty-subject", "empty-field"), data)
    return f.manifest()


def _hundred_words(rng, ids):
    """A subject of 100 encoded words, B and Q, UTF-8 and ISO-8859-1, one per line."""
    pieces = []
    for k in range(100):
        lang = "de" if k % 2 else "fr"
        pieces.append(text.SENTENCES[lang][k % 5][:8 + k % 5])
    words = []
    for k, p in enumerate(pieces):
        charset = "utf-8" if k % 3 else "iso-8859-1"
        words.append("=?%s?%s?%s?=" % (charset, "B" if k % 2 else "Q", _encoded_text(p, charset, k % 2)))
    m = kinds.plain(rng, ids, utc(2016, 7, 7), "crew@example.org")
    m.headers = [(n, v) for n, v in m.headers if n != "Subject"]
    m.add("Subject", "\n ".join(words))
    m.subject = "".join(pieces)
    return m.trait("rfc2047-subject", "rfc2047-words:100", "folded-header")


def _encoded_text(piece, charset, b):
    data = piece.encode(charset)
    if b:
        return base64.b64encode(data).decode()
    return "".join(chr(c) if chr(c).isascii() and chr(c).isalnum() else "_" if c == 32 else "=%02X" % c for c in data)


# --- line endings ------------------------------------------------------------------------------------

def line_endings(root, rng):
    f = EmlFolder(root, "eml/line-endings", ["line-endings"])
    ids = kinds.Ids("eol", "example.org")
    m = kinds.alternative(rng, ids, utc(2017, 1, 1), "crew@example.org", 501)
    f.put("crlf.eml", m.trait("crlf"), m.to_bytes().replace(b"\n", b"\r\n"))
    m = kinds.foreign(rng, ids, utc(2017, 1, 2), "crew@example.org", kinds.FOREIGN[0])
    f.put("bare-lf.eml", m.trait("bare-lf"))
    m = kinds.foreign(rng, ids, utc(2017, 1, 3), "crew@example.org", kinds.FOREIGN[3])
    f.put("cr-only.eml", m.trait("cr-only"), m.to_bytes().replace(b"\n", b"\r"))
    m = kinds.foreign(rng, ids, utc(2017, 1, 4), "crew@example.org", kinds.FOREIGN[6])
    data = m.to_bytes()
    head, body = data.split(b"\n\n", 1)
    body_lines = body.split(b"\n")
    mixed = head.replace(b"\n", b"\r\n") + b"\r\n\r\n" + b"".join(
        line + (b"\r\n" if k % 2 else b"\n") for k, line in enumerate(body_lines[:-1]))
    f.put("mixed-eol.eml", m.trait("mixed-eol"), mixed)
    m = kinds.plain(rng, ids, utc(2017, 1, 5), "crew@example.org")
    line = (text.paragraph(rng, 40) * 4)[:20000]
    m.body += ("\n" + line[:1500] + "\n" + line + "\n").encode()
    f.put("long-lines.eml", m.trait("long-line"))
    return f.manifest()
