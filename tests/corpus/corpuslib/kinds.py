"""Kinds of everyday mail, shared by the Maildir trees and the mbox files:
plain notes, replies in threads, mail in other charsets, HTML alternatives,
attachments, forwarded messages, list and commit mail."""

from . import text
from .mime import (Mail, attachment_part, basic_mail, body_bytes, encode_text, ew_b, ew_q, multipart_body, part,
                   plain_sender, rfc5322_date, text_part)
from .rng import pseudo_bytes

# (language, charset, transfer encoding, how the subject is encoded) for mail in other charsets.
FOREIGN = [("ru", "koi8-r", "base64", "B"), ("ja", "iso-2022-jp", "7bit", "B"), ("de", "iso-8859-1", "quoted-printable", "Q"),
           ("zh-hans", "gb2312", "base64", "B"), ("fr", "windows-1252", "8bit", "Q"), ("he", "iso-8859-8", "quoted-printable", "B"),
           ("zh-hant", "big5", "base64", "B"), ("ja", "euc-jp", "8bit", "B"), ("ru", "utf-8", "quoted-printable", "Q")]


class Ids:
    """Message-IDs of one part of the corpus: <label.N@host>, N counting up."""

    def __init__(self, label, host="example.org"):
        self.label, self.host, self.n = label, host, 0

    def next(self):
        self.n += 1
        return "<%s.%d@%s>" % (self.label, self.n, self.host)


def token(label, n):
    """A made-up word found in one message only: for searches, and as a body
    word that base64 hides from the raw bytes."""
    return "%skelp%04d" % (label, n)


def plain(rng, ids, t, to, subject=None, reply=None, body=None):
    """A plain text note; reply = (parent Message-ID, References text) makes it a reply."""
    name, addr = text.person(rng)
    subj = subject or text.subject_words(rng).capitalize()
    extra = []
    if reply:
        subj = subj if subj.startswith("Re: ") else "Re: " + subj
        extra = [("In-Reply-To", reply[0]), ("References", reply[1])]
    m = basic_mail(plain_sender(name, addr), to, subj, subj, t, rng.choice([0, 60, 120, -300, 330]), ids.next(), extra)
    m.add("MIME-Version", "1.0").add("Content-Type", "text/plain; charset=us-ascii")
    m.body = (body or text.english_body(rng)).encode("ascii")
    if reply:
        m.trait("reply")
    return m


def foreign(rng, ids, t, to, variant):
    """Mail in another language and charset: encoded subject and sender name, the
    body in the charset; its marker words are 'words' when the raw bytes hide them."""
    lang, charset, cte, how = variant
    name, addr = text.person(rng)
    enc = ew_b if how == "B" else ew_q
    subject = text.SUBJECTS[lang]
    m = basic_mail(("%s <%s>" % (name, addr), "%s <%s>" % (name, addr)), to, enc(subject, charset), subject, t,
                   rng.choice([60, 120, 540, 480, 180]), ids.next())
    m.add("MIME-Version", "1.0").add("Content-Type", "text/plain; charset=%s" % charset)
    m.add("Content-Transfer-Encoding", cte)
    body = text.foreign_body(lang, rng)
    m.body = body_bytes(encode_text(body, charset), cte)
    m.trait("charset:" + charset, "cte:" + cte, "rfc2047-subject")
    if charset != "utf-8" or cte != "8bit":
        m.words = [w for w in text.MARKERS[lang] if w in body]
    return m


def _html_of(paragraphs):
    inner = "".join("<p>%s</p>\n" % p for p in paragraphs)
    return ("<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><style>p { margin: 0 }</style></head>\n"
            "<body>\n%s</body></html>\n" % inner)


def alternative(rng, ids, t, to, n):
    """text/plain and text/html saying the same; the HTML in base64 with a word of its own."""
    name, addr = text.person(rng)
    subj = "Agenda: " + text.subject_words(rng)
    m = basic_mail(plain_sender(name, addr), to, subj, subj, t, 60, ids.next())
    paras = [text.paragraph(rng, 2) for _ in range(2)]
    word = token("alt", n)
    plain_text = "\n\n".join("\n".join(text.wrap(p)) for p in paras) + "\n"
    html = _html_of(paras + ["Reference %s." % word])
    parts = [text_part(plain_text, "us-ascii", "7bit"), text_part(html, "utf-8", "base64", "html")]
    boundary = "alt-%04d-boundary" % n
    m.add("MIME-Version", "1.0").add("Content-Type", 'multipart/alternative; boundary="%s"' % boundary)
    m.body = multipart_body(boundary, parts)
    m.trait("alternative", "html")
    m.words = [word]
    return m


ATTACHMENT_NAMES = ["Quartalsbericht Q3.pdf", "harbour-plan.png", "fahrplan_2019.xlsx", "notes.txt",
                    "Übersicht Liegeplätze.pdf", "invoice-0042.pdf"]


def _name_params(name):
    """The name as a plain quoted parameter, or RFC 2231 (charset, percent-encoded) when it is not ASCII."""
    if name.isascii():
        return ('; name="%s"' % name, '; filename="%s"' % name), None
    quoted = "".join(c if c.isascii() and c.isalnum() or c in ".-_" else
                     "".join("%%%02X" % b for b in c.encode("utf-8")) for c in name)
    return ("; name*=utf-8''" + quoted, "; filename*=utf-8''" + quoted), "rfc2231-name"


def with_attachment(rng, ids, t, to, n, name=None):
    """A short note and one attachment (bytes of our own), name plain or RFC 2231."""
    fname = name or ATTACHMENT_NAMES[(n // 10) % len(ATTACHMENT_NAMES)]
    sender = text.person(rng)
    subj = "File for you: " + fname
    m = basic_mail(plain_sender(*sender), to, ew_q(subj, "utf-8") if not subj.isascii() else subj, subj, t, 60,
                   ids.next())
    params, trait = _name_params(fname)
    data = pseudo_bytes("attachment-%d-%s" % (n, fname), rng.between(800, 6000))
    parts = [text_part(text.english_body(rng, 1), "us-ascii", "7bit"), attachment_part(params, data)]
    boundary = "mixed-%04d" % n
    m.add("MIME-Version", "1.0").add("Content-Type", 'multipart/mixed; boundary="%s"' % boundary)
    m.body = multipart_body(boundary, parts, preamble=b"This is a multi-part message in MIME format.\n")
    m.trait("mixed", "attachment")
    if trait:
        m.trait(trait)
    if not subj.isascii():
        m.trait("rfc2047-subject")
    m.attachments = [fname]
    return m


def forwarded(rng, ids, t, to, n):
    """A note with the forwarded message attached as message/rfc822; the inner
    body is base64 UTF-8 with a word of its own."""
    inner = foreign(rng, ids, t - 86400, "team@example.org", ("de", "utf-8", "base64", "Q"))
    inner.words.append(token("fwd", n))
    inner.body = body_bytes(("\n".join(text.SENTENCES["de"][:4]) + "\nKennung %s.\n" % token("fwd", n)).encode(), "base64")
    sender = text.person(rng)
    subj = "Fwd: " + inner.subject
    m = basic_mail(plain_sender(*sender), to, ew_q(subj, "utf-8"), subj, t, 120, ids.next())
    boundary = "fwd-%04d" % n
    parts = [text_part("See below, forwarded as it came.\n", "us-ascii", "7bit"),
             part([("Content-Type", "message/rfc822"), ("Content-Disposition", "inline")], inner.to_bytes())]
    m.add("MIME-Version", "1.0").add("Content-Type", 'multipart/mixed; boundary="%s"' % boundary)
    m.body = multipart_body(boundary, parts)
    m.trait("rfc822", "mixed", "rfc2047-subject")
    m.words = list(inner.words)
    return m


def list_mail(rng, ids, t, list_id, thread, n):
    """A mailing-list message; thread: the list of Message-IDs above it (oldest first)."""
    subject = thread.subject
    reply = None
    if thread.ids:
        reply = (thread.ids[-1], " ".join(thread.ids[-8:]))
    m = plain(rng, ids, t, list_id[1], subject, reply)
    host = list_id[1].split("@")[1]
    # A Received: line first, as a list server adds it: POP3 takes the received date from it.
    m.headers[0:0] = [("Return-Path", "<dev-return-%d@%s>" % (n, host)),
                      ("Received", "from relay.example.org (relay.example.org [192.0.2.%d])\n\tby mx.%s with ESMTP id "
                                   "%05X; %s" % (n % 200 + 1, host, n * 7919 % 0xFFFFF, rfc5322_date(t + 45, 0)))]
    m.add("List-Id", "<%s>" % list_id[0]).add("Precedence", "list")
    thread.ids.append(m.message_id)
    m.trait("list", "thread")
    return m


class Thread:
    def __init__(self, subject):
        self.subject, self.ids = subject, []


def commit_mail(rng, ids, t, n):
    """A commit notification: a subject line, a file list and a small diff."""
    rev = "%07x" % (0x4f2a9c1 + n * 7919)
    area = rng.choice(["parser", "cache", "docs", "build", "tests", "cli"])
    subj = "[ferrylog] %s %s: %s" % (rev, area, text.subject_words(rng))
    name, addr = text.person(rng)
    m = basic_mail(plain_sender(name, addr), "commits@example.org", subj, subj, t, 0, ids.next(),
                   [("X-Commit-Rev", rev)])
    lines = ["Commit %s by %s" % (rev, name), "", text.paragraph(rng, 1), "", "Changed files:"]
    for k in range(rng.between(1, 4)):
        lines.append("  M %s/file_%d.cpp" % (area, rng.below(90)))
    lines += ["", "@@ -%d,3 +%d,4 @@" % (n, n), "-    old_line();", "+    new_line();", "+    // %s" % text.sentence(rng)]
    m.add("Content-Type", "text/plain; charset=us-ascii")
    m.body = ("\n".join(lines) + "\n").encode()
    m.trait("commit")
    return m


def html_only(rng, ids, t, to, n, cte="quoted-printable"):
    name, addr = text.person(rng)
    subj = "Newsletter %d: %s" % (n, text.subject_words(rng))
    m = basic_mail(plain_sender(name, addr), to, subj, subj, t, 0, ids.next())
    word = token("html", n)
    html = _html_of([text.paragraph(rng, 2), "Code of the week: %s." % word])
    m.add("MIME-Version", "1.0").add("Content-Type", "text/html; charset=utf-8").add("Content-Transfer-Encoding", cte)
    m.body = body_bytes(html.encode(), cte)
    m.trait("html-only", "html")
    if cte == "base64":
        m.words = [word]
    return m


def mixed_bag(rng, ids, t, to, n):
    """One of the kinds above, chosen by n so that a folder gets a bit of everything."""
    k = n % 10
    if k in (0, 4, 7):
        return plain(rng, ids, t, to)
    if k == 1:
        return foreign(rng, ids, t, to, FOREIGN[(n // 10) % len(FOREIGN)])
    if k == 2:
        return alternative(rng, ids, t, to, n)
    if k == 3:
        return with_attachment(rng, ids, t, to, n)
    if k == 5:
        return forwarded(rng, ids, t, to, n)
    if k == 6:
        return html_only(rng, ids, t, to, n, "base64")
    if k == 8:
        return foreign(rng, ids, t, to, FOREIGN[(n // 10 + 4) % len(FOREIGN)])
    return plain(rng, ids, t, to, body=text.english_body(rng, 6))


def utf8_text_mail(rng, ids, t, to, lang, subject, body, cte="base64"):
    """Text in UTF-8 with an encoded subject (for the Japanese and Russian folders)."""
    name, addr = text.person(rng)
    m = basic_mail(plain_sender(name, addr), to, ew_b(subject, "utf-8"), subject, t, 540, ids.next())
    m.add("MIME-Version", "1.0").add("Content-Type", "text/plain; charset=utf-8").add("Content-Transfer-Encoding", cte)
    m.body = body_bytes(body.encode(), cte)
    m.trait("charset:utf-8", "cte:" + cte, "rfc2047-subject")
    if cte != "8bit":
        m.words = [w for w in text.MARKERS[lang] if w in body]
    return m


__all__ = ["Ids", "Thread", "FOREIGN", "plain", "foreign", "alternative", "with_attachment", "forwarded",
           "list_mail", "commit_mail", "html_only", "mixed_bag", "utf8_text_mail", "token", "Mail"]
