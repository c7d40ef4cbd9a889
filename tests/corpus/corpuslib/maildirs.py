"""The Maildir trees: Dovecot's Maildir++ (listescape, modified UTF-7 names,
keywords), a nested file-system layout as notmuch's test corpus has it, a
flat Maildir of long threads, and one of duplicate Message-IDs."""

import os

from . import kinds, text
from .mime import maildir_flags, record, utc
from .writer import write_file

ACCOUNT = "Alice Example <alice@example.org>"
DELIVERED = utc(2026, 1, 1)  # the time in Dovecot's file names: when the tree was written, as a copy would


def _spread(rng, start, end, n):
    """n received times between start and end, ascending, a little irregular."""
    step = (end - start) // max(n, 1)
    return [start + i * step + rng.below(max(step // 2, 1)) for i in range(n)]


def _dovecot_name(folder_no, i, data, letters):
    """<unixtime>.M<n>P<k>.host,S=<size>,W=<size with CRLF>[:2,<flags>], as Dovecot names its files."""
    base = "%d.M%dP%d.mailferry-gen,S=%d,W=%d" % (DELIVERED + folder_no * 1000 + i, 100000 + i * 137,
                                                  4000 + folder_no, len(data), len(data) + data.count(b"\n"))
    return base if letters is None else base + ":2," + letters


class Folder:
    """One folder being written: its directory, its records, its keyword letters."""

    def __init__(self, root, name, dir_, keywords=(), marker=True):
        self.root, self.name, self.dir, self.keywords = root, name, dir_, list(keywords)
        self.path = os.path.join(root, dir_) if dir_ else root
        self.records = []
        for sub in ("cur", "new", "tmp"):
            os.makedirs(os.path.join(self.path, sub), exist_ok=True)
        if dir_ and marker:  # Maildir++ marks its folders; a file-system layout does not
            write_file(os.path.join(self.path, "maildirfolder"), b"", mtime=DELIVERED)
        if keywords:
            write_file(os.path.join(self.path, "dovecot-keywords"),
                       "".join("%d %s\n" % (k, w) for k, w in enumerate(keywords)).encode(), mtime=DELIVERED)

    def put(self, corpus_root, sub, filename, mail, received, letters):
        """Writes the mail as sub/filename ("" = the folder directory itself) with mtime = received."""
        data = mail.to_bytes()
        path = os.path.join(self.path, sub, filename) if sub else os.path.join(self.path, filename)
        write_file(path, data, mtime=received)
        letters = letters or ""
        keywords = [self.keywords[ord(c) - ord("a")] for c in letters if c.islower()]
        system = "".join(c for c in letters if c.isupper())
        self.records.append(record(data, mail, os.path.relpath(path, corpus_root), received, system, keywords))

    def manifest(self):
        return {"name": self.name, "dir": self.dir, "keywords": self.keywords, "messages": self.records}


# --- Dovecot's Maildir++ tree ----------------------------------------------------------------------

_INBOX_FLAGS = ["S", "RS", "FS", "FRS", "ST", "S", "RS", "", "S", "FS"]


def _inbox_letters(i):
    """Flags of the i-th cur/ message: system letters, $Forwarded (a) on every 7th, Wichtig (b) on every 11th."""
    letters = _INBOX_FLAGS[i % len(_INBOX_FLAGS)]
    if i % 7 == 3:
        letters += "a"
    if i % 11 == 5:
        letters += "b"
    return maildir_flags(letters)


def _inbox(f, corpus_root, rng):
    ids = kinds.Ids("inbox")
    times = [-31536000] + _spread(rng, utc(2001, 3, 1), utc(2026, 1, 1), 99)
    for i, t in enumerate(times):
        sent = t - rng.between(60, 7200)
        m = kinds.mixed_bag(rng, ids, sent, ACCOUNT, i)
        if i == 0:
            m.trait("before-1970")
        unseen = i >= 90
        letters = None if unseen else _inbox_letters(i)
        f.put(corpus_root, "new" if unseen else "cur", _dovecot_name(0, i, m.to_bytes(), letters), m, t, letters)


def _simple_folder(f, corpus_root, rng, folder_no, times, make, letters_of):
    for i, t in enumerate(times):
        m = make(i, t - rng.between(60, 3600))
        letters = maildir_flags(letters_of(i))
        f.put(corpus_root, "cur", _dovecot_name(folder_no, i, m.to_bytes(), letters), m, t, letters)


def _list_folder(f, corpus_root, rng):
    ids = kinds.Ids("dev-list", "lists.example.org")
    threads = [kinds.Thread("[dev] " + text.subject_words(rng)) for _ in range(9)]
    times = _spread(rng, utc(2017, 11, 1), utc(2017, 12, 1), 60)
    for i, t in enumerate(times):
        thread = threads[(i * 5 + i // 9) % len(threads)]
        m = kinds.list_mail(rng, ids, t - 120, ("dev.example.org", "dev@example.org"), thread, i)
        letters = maildir_flags(("S" if i % 4 else "RS") + ("a" if i % 5 == 1 else ""))
        f.put(corpus_root, "cur", _dovecot_name(5, i, m.to_bytes(), letters), m, t, letters)


def _russian(rng, ids, i, t):
    if i % 2 == 0:
        return kinds.foreign(rng, ids, t, "ivan@example.net", kinds.FOREIGN[0 if i % 4 == 0 else 8])
    body = text.foreign_body("ru", rng, 6)
    return kinds.utf8_text_mail(rng, ids, t, "olga@example.net", "ru", text.SUBJECTS["ru"], body,
                                "base64" if i % 3 else "quoted-printable")


def _japanese(rng, ids, i, t):
    variants = [kinds.FOREIGN[1], kinds.FOREIGN[7]]
    if i < 2:
        return kinds.foreign(rng, ids, t, ACCOUNT, variants[i])
    body = text.foreign_body("ja", rng, 6)
    return kinds.utf8_text_mail(rng, ids, t, ACCOUNT, "ja", text.SUBJECTS["ja"], body,
                                ["base64", "quoted-printable"][i - 2])


# The folders filled by _simple_folder: name -> (directory, number in the file names, first and last
# received date, count, Message-ID label and host, the mail (rng, ids, i, t), its flags (i)).
_SIMPLE = {
    "Drafts": (".Drafts", 1, (2024, 5, 1), (2025, 5, 1), 4, ("drafts", "example.org"),
               lambda r, ids, i, t: kinds.plain(r, ids, t, "bob@example.com"), lambda i: "D" if i % 2 else "DS"),
    "Trash": (".Trash", 2, (2012, 1, 1), (2020, 1, 1), 5, ("trash", "example.org"),
              lambda r, ids, i, t: kinds.plain(r, ids, t, ACCOUNT), lambda i: "ST" if i < 3 else "S"),
    "Sent": (".Sent", 4, (2005, 1, 1), (2025, 1, 1), 6, ("sent", "example.org"),
             lambda r, ids, i, t: kinds.plain(r, ids, t, "carla.costa@example.com"), lambda i: "S"),
    "Archive/2016/commits": (".Archive.2016.commits", 6, (2016, 1, 1), (2016, 12, 31), 40, ("commits", "example.org"),
                             lambda r, ids, i, t: kinds.commit_mail(r, ids, t, i), lambda i: "S"),
    "Отправленные": (".&BB4EQgQ,BEAEMAQyBDsENQQ9BD0ESwQ1-", 7, (2008, 1, 1), (2022, 1, 1), 6, ("sent-ru", "example.net"),
                     _russian, lambda i: "S"),
    "日本語/受信箱": (".&ZeVnLIqe-.&U9dP4Xux-", 8, (2010, 4, 1), (2019, 4, 1), 4, ("jp", "example.jp"), _japanese,
                   lambda i: "S" if i % 2 else ""),
}
_FORKS = {"Drafts": "drafts", "Trash": "trash", "Sent": "sent", "Archive/2016/commits": "commits",
          "Отправленные": "russian", "日本語/受信箱": "japanese"}


def dovecot_tree(corpus_root, rng):
    """maildir/dovecot-maildirpp, as Dovecot 2.3 writes LAYOUT=maildir++ with listescape."""
    root = os.path.join(corpus_root, "maildir", "dovecot-maildirpp")
    folders = [Folder(root, "INBOX", "", ["$Forwarded", "Wichtig"])]
    _inbox(folders[0], corpus_root, rng.fork("inbox"))
    for name in ("Drafts", "Trash", "Junk", "Sent", "Lists/dev@example.org", "Archive/2016/commits", "Отправленные",
                 "日本語/受信箱", "Listen/Ärger & Co"):
        if name == "Junk":
            folders.append(Folder(root, name, ".Junk"))
        elif name == "Listen/Ärger & Co":
            folders.append(Folder(root, name, ".Listen.&AMQ-rger &- Co"))
        elif name == "Lists/dev@example.org":
            folders.append(Folder(root, name, ".Lists.dev@example\\2eorg", ["Wichtig"]))
            _list_folder(folders[-1], corpus_root, rng.fork("list"))
        else:
            dir_, no, first, last, n, (label, host), make, letters = _SIMPLE[name]
            folders.append(Folder(root, name, dir_))
            r, ids = rng.fork(_FORKS[name]), kinds.Ids(label, host)
            _simple_folder(folders[-1], corpus_root, r, no, _spread(r, utc(*first), utc(*last), n),
                           lambda i, t: make(r, ids, i, t), letters)
    return {"path": "maildir/dovecot-maildirpp", "kind": "maildir++",
            "traits": ["listescape", "mutf7-names", "keywords", "empty-folder", "parent-without-directory"],
            "folders": [f.manifest() for f in folders]}


# --- notmuch-style nested tree, a flat Maildir, duplicates ---------------------------------------

# The nested tree, numbered as notmuch's corpus numbers its files: (folder dir, files directly in the
# folder directory, files in new/ (name, has an info suffix), numbers of the files in cur/).
_NESTED = [("", ["01", "02"], [("03:2,", True), ("04", False)], range(29, 51)),
           ("foo", ["06"], [("09", False), ("10:2,", True)], [7, 8]),
           ("foo/baz", ["11", "12"], [("15", False), ("16", False)], [13, 14]),
           ("bar", ["17", "18"], [("21", False), ("22:2,", True)], [19, 20]),
           ("bar/baz", ["05", "23", "24"], [("27", False), ("28", False)], [25, 26])]


def nested_tree(corpus_root, rng):
    """maildir/fs-layout: folders as subdirectories, mail also outside cur/ and new/."""
    root = os.path.join(corpus_root, "maildir", "fs-layout")
    ids = kinds.Ids("nested", "example.com")
    thread = kinds.Thread("Nested folders " + text.subject_words(rng))
    folders = []
    times = iter(_spread(rng, utc(2009, 11, 1), utc(2012, 6, 1), 50))
    for dir_, loose, new, cur in _NESTED:
        f = Folder(root, dir_ or "INBOX", dir_, marker=False)
        for name in loose:
            m = _nested_mail(rng, ids, next(times), thread, int(name))
            f.put(corpus_root, "", name + ":2,", m.trait("outside-cur-new"), m.received, "")
        for name, has_info in new:
            m = _nested_mail(rng, ids, next(times), thread, int(name[:2]))
            f.put(corpus_root, "new", name, m.trait("info-in-new") if has_info else m, m.received, "")
        for n in cur:
            m = _nested_mail(rng, ids, next(times), thread, n)
            letters = ["", "S", "", "RS", "F"][n % 5]
            f.put(corpus_root, "cur", "%02d:2,%s" % (n, letters), m, m.received, letters)
        folders.append(f)
    return {"path": "maildir/fs-layout", "kind": "maildir-nested", "traits": ["fs-layout", "mail-outside-cur-new"],
            "folders": [f.manifest() for f in folders]}


def _nested_mail(rng, ids, t, thread, n):
    if n % 6 == 5:
        m = kinds.foreign(rng, ids, t - 300, "notmuch@example.com", kinds.FOREIGN[n % len(kinds.FOREIGN)])
    else:
        reply = (thread.ids[-1], " ".join(thread.ids[-5:])) if thread.ids and n % 3 else None
        m = kinds.plain(rng, ids, t - 300, "notmuch@example.com", thread.subject, reply)
        thread.ids.append(m.message_id)
    m.received = t
    return m


def flat_maildir(corpus_root, rng):
    """maildir/flat: cur/ only, two long threads (20 and 10 messages) with References chains."""
    root = os.path.join(corpus_root, "maildir", "flat")
    os.makedirs(os.path.join(root, "cur"))
    f = _BareFolder(root, "INBOX", "")
    ids = kinds.Ids("flat", "lists.example.net")
    threads = [kinds.Thread("[PATCH v%d] harbour: %s" % (k + 2, text.subject_words(rng))) for k in range(2)]
    for i, t in enumerate(_spread(rng, utc(2013, 10, 1), utc(2013, 10, 20), 30)):
        thread = threads[0] if i % 3 else threads[1]
        m = kinds.list_mail(rng, ids, t - 60, ("harbour.lists.example.net", "harbour@lists.example.net"), thread, i)
        f.put(corpus_root, "cur", "%d.%06d:2,%s" % (t, 2000 + i * 17, "S" if i % 4 else ""), m, t, "S" if i % 4 else "")
    return {"path": "maildir/flat", "kind": "maildir", "traits": ["cur-only", "long-threads"],
            "folders": [f.manifest()]}


def duplicates_maildir(corpus_root, rng):
    """maildir/duplicates: 9 files, 3 Message-IDs; each ID's files differ in their bodies."""
    root = os.path.join(corpus_root, "maildir", "duplicates")
    os.makedirs(os.path.join(root, "cur"))
    f = _BareFolder(root, "INBOX", "")
    times = iter(_spread(rng, utc(2014, 2, 1), utc(2014, 3, 1), 9))
    for group, copies in ((1, 2), (2, 3), (3, 4)):
        mid = "<duplicate-%d@example.org>" % group
        for c in range(copies):
            t = next(times)
            ids = kinds.Ids("unused")
            m = kinds.plain(rng, ids, t - 60, ACCOUNT, "Same ID, copy %d of message %d" % (c + 1, group))
            m.headers = [(n, mid if n == "Message-ID" else v) for n, v in m.headers]
            m.message_id = mid
            m.trait("duplicate-id")
            f.put(corpus_root, "cur", "msg-%d-%d:2," % (group, c + 1), m, t, "")
    return {"path": "maildir/duplicates", "kind": "maildir", "traits": ["cur-only", "duplicate-message-ids"],
            "folders": [f.manifest()]}


class _BareFolder(Folder):
    """A folder whose directories the caller made (a Maildir with cur/ only)."""

    def __init__(self, root, name, dir_):
        self.root, self.name, self.dir, self.keywords = root, name, dir_, []
        self.path = root
        self.records = []
