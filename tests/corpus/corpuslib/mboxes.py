"""The mbox files: one folder per trait (escaping, Content-Length, quirks,
a list month, duplicates, Google Takeout, gzip, broken files).

Each container's records hold what a correct reader yields: the message
after its From_ line, un-escaped as the file's variant says, without the
empty separator line; 'received' is the From_ line's date (None for a weak
From_ line)."""

import gzip
import os
import re

from . import kinds, text
from .mime import asctime, maildir_flags, record, takeout_date, utc
from .writer import write_file

_FROM_LINE = re.compile(rb"^From ", re.M)


def esc_mboxrd(data):
    return re.sub(rb"^(>*From )", rb">\1", data, flags=re.M)


def esc_mboxo(data):
    return re.sub(rb"^From ", rb">From ", data, flags=re.M)


def esc_over(data):
    """One archive server's habit: From -> >From, but >From -> >>>From (one '>' too many)."""
    return re.sub(rb"^(>*)From ", lambda mo: (b">>" if mo.group(1) else b">") + mo.group(1) + b"From ", data, flags=re.M)


class Mbox:
    """An mbox file being assembled: its bytes and its records."""

    def __init__(self, path, fmt, traits=()):
        self.path, self.format, self.traits = path, fmt, list(traits)
        self.data = b""
        self.records = []
        self.skipped = 0

    def add(self, mail, from_line, escape, yields, received, flags="", eol=b"\n", sender=None, keywords=()):
        """Appends mail after from_line, escaped by escape; yields(bytes) is what a reader gives back.
        sender: the From_ line's sender when the line's second word is not it."""
        data = mail.to_bytes()
        if eol != b"\n":
            data = data.replace(b"\n", eol)
        self.data += from_line.encode() + eol + escape(data) + eol
        rec = record(yields(data), mail, None, received, flags, keywords)
        rec["envelope_sender"] = sender if sender is not None else from_line.split(" ")[1]
        self.records.append(rec)

    def write(self, corpus_root, gz=False):
        full = os.path.join(corpus_root, self.path)
        write_file(full, gzip.compress(self.data, 9, mtime=0) if gz else self.data)
        return {"path": self.path, "kind": "mbox", "format": self.format, "gzip": gz,
                "from_lines": len(_FROM_LINE.findall(self.data)), "skipped": self.skipped,
                "traits": self.traits, "messages": self.records}


def _strict(sender, t):
    return "From %s %s" % (sender, asctime(t))


def _same(data):
    return data


def _append(mail, lines):
    mail.body += ("\n" + "\n".join(lines) + "\n").encode()
    return mail


# --- the same month from three archive servers ---------------------------------------------------

def _escaping_originals(rng):
    """~30 list messages; some with body lines 'From ...' (to escape) and '>From ...' (quoted)."""
    ids = kinds.Ids("escaping", "lists.example.org")
    threads = [kinds.Thread("[harbour] " + text.subject_words(rng)) for _ in range(5)]
    out = []
    for i, t in enumerate(range(utc(2017, 11, 1, 8), utc(2017, 11, 30), 84000)[:30]):
        m = kinds.list_mail(rng, ids, t, ("harbour.lists.example.org", "harbour@lists.example.org"),
                            threads[i % 5], i)
        if i % 5 == 1:
            _append(m, ["From the harbour office's point of view nothing changed.", "Regards"]).trait("from-in-body")
        if i % 7 == 2:
            _append(m, ["Someone wrote:", ">From the minutes: the crane stays where it is."]).trait("gt-from-in-body")
        if i == 12:
            _append(m, ["The archive had this line in it:", "", "From pat@example.net Thu Feb  3 11:04:00 2000",
                        "which is why we escape."]).trait("strict-from-in-body")
        out.append((m, t + 60))
    return out


def escaping(corpus_root, rng):
    originals = _escaping_originals(rng)
    files = [("list-mboxrd.mbox", "mboxrd", esc_mboxrd, _same),
             ("list-mboxo.mbox", "mboxo", esc_mboxo, esc_mboxo),
             ("list-overescaped.mbox", "overescaped", esc_over, lambda d: re.sub(rb"^(>+From )", rb">\1", d, flags=re.M))]
    out = []
    for name, fmt, escape, yields in files:
        box = Mbox("mbox/escaping/" + name, fmt, ["same-messages-as:mbox/escaping/list-mboxrd.mbox"])
        for m, t in originals:
            box.add(m, _strict("harbour-return@lists.example.org", t), escape, yields, t)
        out.append(box.write(corpus_root))
    return out


# --- Content-Length, Lines, Status, X-Status ------------------------------------------------------

_STATUS = ["RO", "RO", "O", "RO", "R", "RO", "RO", "O"]


def _cl_mail(rng, ids, i, t, lie):
    """A message with mboxcl2 headers; a body From_ line (unescaped) in some."""
    m = kinds.plain(rng, ids, t - 30, "crew@example.org")
    if i % 5 == 2:
        _append(m, ["", "From pat@example.net Thu Feb  3 11:04:00 2000", "Subject: pasted, not a new message",
                    "", "(end of the paste)"]).trait("from-line-in-body")
    status = _STATUS[i % len(_STATUS)]
    xstatus = {10: "D", 14: "T"}.get(i, "A" if i % 4 == 1 else "F" if i % 6 == 3 else "AF" if i % 9 == 0 else "")
    keywords = ["$Forwarded", "Wichtig"] if i in (3, 11) else []
    length = len(m.body) + lie
    m.add("Content-Length", str(length)).add("Lines", str(m.body.count(b"\n")))
    m.add("Status", status).add("X-Status", xstatus)
    if keywords:
        m.add("X-Keywords", ", ".join(keywords))
    m.trait("content-length" if not lie else "content-length-wrong")
    if "O" in status:
        m.trait("status-old")
    # The reader's meaning of the letters, in Maildir letters: X-Status T is \\Draft (D), D is \\Deleted (T).
    letters = "".join(mine for theirs, mine, field in (("R", "S", status), ("A", "R", xstatus), ("F", "F", xstatus),
                                                      ("T", "D", xstatus), ("D", "T", xstatus)) if theirs in field)
    return m, maildir_flags(letters), keywords


def _cl_for_crlf(m):
    """For the CRLF copy (add() converts the line endings): Content-Length counts the CRs too."""
    crlf_length = len(m.body) + m.body.count(b"\n")
    m.headers = [(n, str(crlf_length) if n == "Content-Length" else v) for n, v in m.headers]
    return m


def content_length(corpus_root, rng):
    out = []
    lying_index = 8  # i % 5 != 2: no From_ line in its body, so From_ lines find its end right
    for name, eol, lie_at in (("cl.mbox", b"\n", None), ("cl-crlf.mbox", b"\r\n", None), ("cl-lying.mbox", b"\n", lying_index)):
        r = rng.fork("cl")  # the same messages in all three
        ids = kinds.Ids("cl", "example.org")
        traits = ["content-length", "status-headers"] + (["crlf"] if eol != b"\n" else []) + \
                 (["content-length-lies", "reader-warns"] if lie_at is not None else [])
        box = Mbox("mbox/content-length/" + name, "mboxcl2", traits)
        for i, t in enumerate(range(utc(2000, 2, 1, 9), utc(2000, 3, 1), 130000)[:20]):
            m, flags, keywords = _cl_mail(r, ids, i, t, -25 if i == lie_at else 0)
            if eol != b"\n":
                m = _cl_for_crlf(m)
            box.add(m, _strict("crew-owner@example.org", t), _same, _same, t, flags, eol, keywords=keywords)
        out.append(box.write(corpus_root))
    return out


# --- a month of a list, duplicates, Google Takeout, gzip ------------------------------------------

def _list_messages(rng, label, count, start, step, quote=True):
    ids = kinds.Ids(label, "lists.example.org")
    threads = [kinds.Thread("[ferry-dev] " + text.subject_words(rng)) for _ in range(max(count // 8, 1))]
    out = []
    for i in range(count):
        t = start + i * step + rng.below(step // 2)
        if i % 10 == 9:
            m = kinds.foreign(rng, ids, t, "ferry-dev@lists.example.org", kinds.FOREIGN[(i // 10) % len(kinds.FOREIGN)])
        else:
            m = kinds.list_mail(rng, ids, t, ("ferry-dev.lists.example.org", "ferry-dev@lists.example.org"),
                                threads[(i * 3) % len(threads)], i)
        if quote and i % 13 == 3:
            _append(m, ["From what I saw on the dock, the crane is fine."]).trait("from-in-body")
        if quote and i % 17 == 5:
            _append(m, ["> Earlier:", ">From now on we sail at six."]).trait("gt-from-in-body")
        if quote and i == 100:
            _append(m, [">>From the older thread: keep the lantern lit."]).trait("gt-gt-from-in-body")
        out.append((m, t + 90))
    return out


def list_month(corpus_root, rng):
    box = Mbox("mbox/list/list-month.mbox", "mboxrd", ["list", "threads", "received-headers"])
    for m, t in _list_messages(rng, "month", 200, utc(2019, 9, 1), 12900):
        box.add(m, _strict("ferry-dev-return@lists.example.org", t), esc_mboxrd, _same, t)
    return [box.write(corpus_root)]


def gzip_mbox(corpus_root, rng):
    box = Mbox("mbox/gzip/list.mbox.gz", "mboxrd", ["gzip"])
    for m, t in _list_messages(rng, "gz", 25, utc(2020, 7, 1), 100000):
        box.add(m, _strict("ferry-dev-return@lists.example.org", t), esc_mboxrd, _same, t)
    return [box.write(corpus_root, gz=True)]


def duplicates(corpus_root, rng):
    """dups-1 and dups-2: six identical messages in both, two with the same Message-ID
    but other bytes (another archive's header), two of their own each."""
    base = _list_messages(rng, "dups", 14, utc(2017, 3, 1), 50000, quote=False)
    one = Mbox("mbox/duplicates/dups-1.mbox", "mboxo", ["duplicates"])
    for m, t in base[:10]:
        one.add(m, _strict("list-return@lists.example.org", t), esc_mboxo, esc_mboxo, t)
    two = Mbox("mbox/duplicates/dups-2.mbox", "mboxo", ["duplicates"])
    for k, (m, t) in enumerate(base[4:10]):
        m.trait("duplicate:identical")
        two.add(m, _strict("list-return@lists.example.org", t), esc_mboxo, esc_mboxo, t)
    for m, t in base[:2]:
        m.headers.insert(0, ("X-Archived-At", "<https://archive.example.net/msg/%d>" % t))
        m.trait("duplicate:same-id")
        two.add(m, _strict("list-return@lists.example.org", t), esc_mboxo, esc_mboxo, t)
    for m, t in base[10:12]:
        two.add(m, _strict("list-return@lists.example.org", t), esc_mboxo, esc_mboxo, t)
    return [one.write(corpus_root), two.write(corpus_root)]


_LABELS = ['Inbox,Important,"Work/Projects",Opened', "Sent,Opened", "Archived,Category Personal,Unread,Starred",
           "Inbox,Opened,Category Updates", '"Kunden, alt",Inbox,Opened', "=?UTF-8?Q?=C3=9Cbersicht?=,Opened",
           "Spam,Unread", "Trash,Opened", "Drafts", "Important,Opened"]


def takeout(corpus_root, rng):
    """Google Takeout: From_ lines with a Gmail id and '+0000' before the year, labels, thread ids."""
    box = Mbox("mbox/takeout/takeout.mbox", "takeout", ["takeout", "gmail-labels"])
    ids = kinds.Ids("takeout", "mail.example.com")
    for i, labels in enumerate(_LABELS):
        t = utc(2022, 3, 1, 12) + i * 86413
        m = kinds.plain(rng, ids, t - 20, "alice@example.com")
        raw = labels if i else 'Inbox,Important,\n "Work/Projects",Opened'  # the first one folded
        m.headers[0:0] = [("X-GM-THRID", str(1726000000000000000 + i * 7777 + (i % 3))), ("X-Gmail-Labels", raw)]
        m.trait("takeout")
        if i == 0:
            m.trait("folded-labels")
        from_line = "From %d@xxx %s" % (1726000000000000000 + i * 104729, takeout_date(t))
        box.add(m, from_line, esc_mboxo, esc_mboxo, t)
        box.records[-1]["gmail_labels"] = raw.replace("\n", "")
    return [box.write(corpus_root)]


# --- broken files ---------------------------------------------------------------------------------

def broken(corpus_root, rng):
    ids = kinds.Ids("broken", "example.org")
    cut = Mbox("mbox/broken/truncated.mbox", "mboxo", ["truncated", "reader-warns"])
    for i in range(6):
        t = utc(2021, 6, 1) + i * 7200
        m = kinds.plain(rng, ids, t - 10, "crew@example.org", body=text.english_body(rng, 3))
        cut.add(m, _strict("crew@example.org", t), esc_mboxo, esc_mboxo, t)
    last = cut.records[-1]
    keep = last["size"] * 2 // 3
    whole = cut.data[:-1]  # without the separator
    start = len(whole) - last["size"]
    while whole[start + keep - 1:start + keep] in (b"\n", b" "):
        keep -= 1
    cut.data = whole[:start + keep]
    partial = cut.data[start:]
    m.trait("truncated", "no-final-newline")
    m.words = []
    cut.records[-1] = dict(record(partial, m, None, last["received"]), envelope_sender="crew@example.org")

    garbage = Mbox("mbox/broken/garbage-first.mbox", "mboxo", ["garbage-first", "reader-warns"])
    garbage.data = (b"From the archive robot: this file was put together by hand, skip these lines.\n"
                    b"Exported for the harbour list, volume 3.\n\n")
    garbage.skipped = 1
    for i in range(4):
        t = utc(2021, 7, 1) + i * 9000
        m = kinds.plain(rng, ids, t - 10, "crew@example.org")
        garbage.add(m, _strict("crew@example.org", t), esc_mboxo, esc_mboxo, t)
    return [cut.write(corpus_root), garbage.write(corpus_root)]
