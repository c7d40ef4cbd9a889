"""Building messages byte by byte, and the manifest record of each.

We write the bytes ourselves (not through the email package) because the
corpus is about exact bytes: line endings, folding, broken structure and
8-bit headers must come out as intended, not as a library would fix them."""

import base64
import datetime
import hashlib
import quopri

_EPOCH = datetime.datetime(1970, 1, 1, tzinfo=datetime.timezone.utc)
_DAYS = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"]
_MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]


def utc(year, month, day, hour=0, minute=0, second=0):
    """Unix seconds of a UTC time (negative before 1970)."""
    when = datetime.datetime(year, month, day, hour, minute, second, tzinfo=datetime.timezone.utc)
    return int((when - _EPOCH).total_seconds())


def _local(t, zone_minutes):
    return _EPOCH + datetime.timedelta(seconds=t + zone_minutes * 60)


def rfc5322_date(t, zone_minutes=0):
    """'Tue, 01 Jul 2003 10:52:37 +0200' for unix seconds t shown in the given zone."""
    d = _local(t, zone_minutes)
    sign = "+" if zone_minutes >= 0 else "-"
    z = abs(zone_minutes)
    return "%s, %02d %s %04d %02d:%02d:%02d %s%02d%02d" % (
        _DAYS[d.weekday()], d.day, _MONTHS[d.month - 1], d.year, d.hour, d.minute, d.second, sign, z // 60, z % 60)


def asctime(t):
    """'Sat Jan  1 00:00:00 2011' (UTC), the date of an mbox From_ line."""
    d = _local(t, 0)
    return "%s %s %2d %02d:%02d:%02d %04d" % (_DAYS[d.weekday()], _MONTHS[d.month - 1], d.day, d.hour, d.minute,
                                              d.second, d.year)


def takeout_date(t):
    """'Tue Mar 01 12:00:00 +0000 2022', as Google Takeout writes its From_ lines."""
    d = _local(t, 0)
    return "%s %s %02d %02d:%02d:%02d +0000 %04d" % (_DAYS[d.weekday()], _MONTHS[d.month - 1], d.day, d.hour,
                                                     d.minute, d.second, d.year)


# --- RFC 2047 encoded words -------------------------------------------------

def _chunks_by_encoded_size(text, charset, limit):
    """Splits text into runs whose encoding stays under limit bytes, on character
    boundaries (an encoded word must hold whole characters, RFC 2047 5)."""
    runs, run = [], ""
    for ch in text:
        if run and len((run + ch).encode(charset)) > limit:
            runs.append(run)
            run = ch
        else:
            run += ch
    if run:
        runs.append(run)
    return runs


def ew_b(text, charset):
    """Base64 encoded words, as many as needed, separated by a folding line break."""
    words = []
    for run in _chunks_by_encoded_size(text, _codec(charset), 36):
        data = base64.b64encode(run.encode(_codec(charset))).decode()
        words.append("=?%s?B?%s?=" % (charset, data))
    return "\n ".join(words)


def ew_q(text, charset):
    """Quoted-printable encoded words ('_' for a space)."""
    words = []
    for run in _chunks_by_encoded_size(text, _codec(charset), 18):
        out = ""
        for b in run.encode(_codec(charset)):
            c = chr(b)
            if c.isascii() and c.isalnum():
                out += c
            elif c == " ":
                out += "_"
            else:
                out += "=%02X" % b
        words.append("=?%s?Q?%s?=" % (charset, out))
    return "\n ".join(words)


_CODECS = {"iso-2022-jp": "iso2022_jp", "gb2312": "gb2312", "big5": "big5", "koi8-r": "koi8_r",
           "windows-1252": "cp1252", "iso-8859-8": "iso8859_8", "utf-8": "utf-8", "euc-jp": "euc_jp",
           "iso-8859-1": "latin-1", "us-ascii": "ascii", "utf-16": "utf-16",
           "shift_jis": "shift_jis", "ks_c_5601-1987": "cp949", "euc-kr": "euc_kr", "utf-7": "utf-7"}


def _codec(charset):
    return _CODECS[charset.lower()]


def encode_text(text, charset):
    return text.encode(_codec(charset))


# --- bodies and parts -------------------------------------------------------

def body_bytes(data, cte):
    """data (bytes) in the transfer encoding cte; 7bit/8bit/binary leave it as is."""
    if cte == "base64":
        return base64.encodebytes(data)
    if cte == "quoted-printable":
        return quopri.encodestring(data)
    return data


def part(headers, body):
    """One entity: header lines (name, value) then an empty line then the body (bytes)."""
    head = b"".join(("%s: %s\n" % (n, v)).encode() if isinstance(v, str) else n.encode() + b": " + v + b"\n"
                    for n, v in headers)
    return head + b"\n" + body


def text_part(text, charset="utf-8", cte="8bit", subtype="plain", extra=()):
    headers = [("Content-Type", "text/%s; charset=%s" % (subtype, charset)),
               ("Content-Transfer-Encoding", cte)] + list(extra)
    return part(headers, body_bytes(encode_text(text, charset), cte))


def multipart_body(boundary, parts, preamble=b"", epilogue=b"", close=True):
    b = boundary.encode()
    out = preamble
    for p in parts:
        out += b"--" + b + b"\n" + p
        if not out.endswith(b"\n"):
            out += b"\n"
    if close:
        out += b"--" + b + b"--\n"
    return out + epilogue


def attachment_part(name_params, data, ctype="application/octet-stream", cte="base64", disposition="attachment"):
    """name_params: the raw parameter text after the type and the disposition, e.g.
    '; name="a.pdf"' and '; filename="a.pdf"' (given as a pair)."""
    type_params, disp_params = name_params
    headers = [("Content-Type", ctype + type_params), ("Content-Transfer-Encoding", cte),
               ("Content-Disposition", disposition + disp_params)]
    return part(headers, body_bytes(data, cte))


# --- a message and its manifest record ---------------------------------------

class Mail:
    """A message being built: header fields in order, a body, and what the
    generator intends a reader to find in it (the manifest record's fields)."""

    def __init__(self):
        self.headers = []
        self.body = b""
        self.message_id = None
        self.subject = None
        self.sender = None
        self.date = None
        self.traits = []
        self.words = []
        self.attachments = []

    def add(self, name, value):
        self.headers.append((name, value))
        return self

    def trait(self, *names):
        for n in names:
            if n not in self.traits:
                self.traits.append(n)
        return self

    def to_bytes(self):
        return part(self.headers, self.body)


def basic_mail(sender, to, subject_raw, subject, t, zone, message_id, extra=()):
    """A Mail with From, To, Subject, Date, Message-ID (each None to leave it out).
    sender: (display form as a reader shows it, raw header value)."""
    m = Mail()
    if sender is not None:
        m.sender, raw = sender
        m.add("From", raw)
    if to is not None:
        m.add("To", to)
    if subject_raw is not None:
        m.add("Subject", subject_raw)
        m.subject = subject
    if t is not None:
        m.date = rfc5322_date(t, zone)
        m.add("Date", m.date)
    if message_id is not None:
        m.message_id = message_id
        m.add("Message-ID", message_id)
    for n, v in extra:
        m.add(n, v)
    return m


def plain_sender(name, addr):
    return ("%s <%s>" % (name, addr), "%s <%s>" % (name, addr))


def record(data, mail, file=None, received=None, flags="", keywords=()):
    """The manifest record of a message whose bytes (as a reader yields them) are data."""
    for w in mail.words:
        if w.encode("utf-8") in data:
            raise AssertionError("word %r is in the raw bytes of %s: it proves nothing" % (w, file))
    return {"file": file, "sha256": hashlib.sha256(data).hexdigest(), "size": len(data),
            "message_id": mail.message_id, "subject": mail.subject, "from": mail.sender, "date": mail.date,
            "received": received, "flags": flags, "keywords": list(keywords), "traits": list(mail.traits),
            "words": list(mail.words), "attachments": list(mail.attachments)}


def maildir_flags(letters):
    """Dovecot's order: system letters sorted (ASCII), then keyword letters sorted."""
    system = "".join(sorted(c for c in letters if c.isupper()))
    kw = "".join(sorted(set(c for c in letters if c.islower())))
    return system + kw
