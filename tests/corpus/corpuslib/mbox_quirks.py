"""mbox/quirks: files that trip simple readers (a BOM and 'From -' separators,
very long lines, MIME boundaries that are substrings of each other, no Date:,
an empty body, HTML only)."""

from . import kinds, text
from .mboxes import Mbox, _append, _same, _strict
from .mime import multipart_body, part, text_part, utc


def bom_from_dash(rng, ids):
    """UTF-8 BOM, weak 'From -' separators, and a body line 'From Russia, ...' that splits nothing."""
    box = Mbox("mbox/quirks/bom-from-dash.mbox", "mboxo", ["bom", "weak-from-lines", "unescaped-from-in-body"])
    box.data = b"\xef\xbb\xbf"
    for i in range(3):
        m = kinds.plain(rng, ids, utc(2018, 5, 2 + i, 10), "hugo.holm@example.org")
        _append(m, ["", "From Russia, by the night train, came the new timetable.", "Nothing else to add."])
        m.trait("from-russia-line")
        box.add(m, "From -", _same, _same, None)
    return box


def long_lines(rng, ids):
    box = Mbox("mbox/quirks/long-lines.mbox", "mboxo", ["long-lines"])
    for i, length in enumerate((5000, 5000, 12000)):
        t = utc(2018, 6, 1 + i, 8)
        m = kinds.plain(rng, ids, t - 5, "crew@example.org")
        line = ""
        while len(line) < length:
            line += text.sentence(rng) + " "
        _append(m, [line[:length].rstrip() + "."])
        m.trait("long-line")
        box.add(m, _strict("crew@example.org", t), _same, _same, t)
    return box


def _b64_text(word, rng):
    return text_part(text.paragraph(rng, 1) + " Marker %s.\n" % word, "utf-8", "base64")


def _nested_boundaries(rng, n, outer, inner):
    """outer/inner: boundaries one of which is a prefix of the other. Both
    alternatives carry the same word: a reader keeps only one of them."""
    words = [kinds.token("bsub", n * 10 + k) for k in range(2)]
    html = text_part("<p>%s Marker %s.</p>\n" % (text.paragraph(rng, 1), words[0]), "utf-8", "base64", "html")
    alt = multipart_body(inner, [_b64_text(words[0], rng), html])
    inner_part = part([("Content-Type", 'multipart/alternative; boundary="%s"' % inner)], alt)
    body = multipart_body(outer, [inner_part, _b64_text(words[1], rng)])
    return body, words


def boundary_substring(rng, ids):
    box = Mbox("mbox/quirks/boundary-substring.mbox", "mboxo", ["boundary-substring"])
    pairs = [("sub", "sub-inner"), ("=_frontier_1_long", "=_frontier_1"), ("frontier", "frontier-x")]
    for i, (outer, inner) in enumerate(pairs):
        t = utc(2018, 7, 1 + i, 12)
        m = kinds.plain(rng, ids, t - 5, "crew@example.org")
        m.headers = [h for h in m.headers if h[0] != "Content-Type"]
        m.add("Content-Type", 'multipart/mixed; boundary="%s"' % outer)
        m.body, m.words = _nested_boundaries(rng, i, outer, inner)
        m.trait("boundary-substring", "cte:base64")
        box.add(m, _strict("crew@example.org", t), _same, _same, t)
    return box


def no_date(rng, ids):
    """A tiny message without Date:, after a weak 'From ' line: no date anywhere."""
    box = Mbox("mbox/quirks/no-date.mbox", "mboxo", ["no-date", "weak-from-lines"])
    m = kinds.Mail()
    m.add("List-Id", "<quiet.lists.example.org>").add("From", "Ines Lund <ines.lund@example.org>")
    m.add("Subject", "no date here").add("Message-ID", "<no-date.1@example.org>")
    m.sender, m.subject, m.message_id = "Ines Lund <ines.lund@example.org>", "no date here", "<no-date.1@example.org>"
    m.body = b"Tiny.\n"
    m.trait("no-date")
    box.add(m, "From ", _same, _same, None)
    return box


def empty_body(rng, ids):
    box = Mbox("mbox/quirks/empty-body.mbox", "mboxo", ["empty-body"])
    t = utc(2018, 8, 1, 9)
    m = kinds.plain(rng, ids, t - 5, "crew@example.org", subject="Subject only, nothing below")
    m.body = b""
    m.trait("empty-body")
    box.add(m, _strict("crew@example.org", t), _same, _same, t)
    return box


def html_only(rng, ids):
    box = Mbox("mbox/quirks/html-only.mbox", "mboxo", ["html-only"])
    for i, cte in enumerate(("quoted-printable", "base64", "8bit")):
        t = utc(2018, 9, 1 + i, 7)
        m = kinds.html_only(rng, ids, t - 5, "readers@example.org", 900 + i, cte)
        box.add(m, _strict("news@example.org", t), _same, _same, t)
    return box


# From_ lines in the date forms readers meet (formats/mbox/from_line.hpp): (line, sender, the date in UTC).
_DATED_LINES = [
    ("From ann@example.org Wed Feb  9 22:02 MET 2000", "ann@example.org", (2000, 2, 9, 21, 2, 0)),
    ("From ann@example.org Wed Feb  9 22:02:17 MET DST 2000", "ann@example.org", (2000, 2, 9, 20, 2, 17)),
    ("From ann@example.org Thu Mar  2 08:15:00 +0530 2006", "ann@example.org", (2006, 3, 2, 2, 45, 0)),
    ("From  Tue Nov 28 09:10:11 2006", "", (2006, 11, 28, 9, 10, 11)),
    ('From "ann lee"@example.org Sat Jan  1 00:00:00 2011', '"ann lee"@example.org', (2011, 1, 1, 0, 0, 0)),
    ("From ann@example.org Wed, 9 Feb 2000 22:02:00 +0100", "ann@example.org", (2000, 2, 9, 21, 2, 0)),
    ("From ann@example.org Mon Jul  3 10:00:00 PDT 2023", "ann@example.org", (2023, 7, 3, 17, 0, 0)),
]


def from_line_dates(rng, ids):
    box = Mbox("mbox/quirks/from-line-dates.mbox", "mboxo", ["from-line-dates"])
    for line, sender, when in _DATED_LINES:
        t = utc(*when)
        m = kinds.plain(rng, ids, t - 30, "crew@example.org")
        box.add(m.trait("from-line-date"), line, _same, _same, t, sender=sender)
    return box


def weak_gmail_ids(rng, ids):
    """'From <id>@xxx' without a date (as some Gmail exports write): weak lines, the file's first one too."""
    box = Mbox("mbox/quirks/weak-gmail-ids.mbox", "mboxo", ["weak-from-lines"])
    for i in range(3):
        m = kinds.plain(rng, ids, utc(2025, 9, 26, 17, 18) + i * 60, "crew@example.org")
        box.add(m, "From %d@xxx" % (1844000000000000001 + i * 7), _same, _same, None)
    return box


def quirks(corpus_root, rng):
    ids = kinds.Ids("quirks", "example.org")
    makers = [bom_from_dash, long_lines, boundary_substring, no_date, empty_body, html_only, from_line_dates,
              weak_gmail_ids]
    return [make(rng.fork(make.__name__), ids).write(corpus_root) for make in makers]

