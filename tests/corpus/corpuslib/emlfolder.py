"""A folder of one-message files (eml/<group>/, malformed/<group>/)."""

import os

from .mime import Mail, record, utc
from .writer import write_file


class EmlFolder:
    def __init__(self, corpus_root, path, traits=()):
        self.corpus_root, self.path, self.traits = corpus_root, path, list(traits)
        self.records = []

    def put(self, filename, mail, data=None, envelope=b"", not_words=()):
        """Writes envelope + data (default: the mail's bytes) as path/filename.
        The record describes the message without the envelope (what a reader
        of message files yields); 'received' is the file's mtime."""
        data = mail.to_bytes() if data is None else data
        mtime = utc(2015, 1, 1) + len(self.records) * 3600 + len(self.path) * 86400
        rel = os.path.join(self.path, filename)
        write_file(os.path.join(self.corpus_root, rel), envelope + data, mtime=mtime)
        rec = record(data, mail, rel, mtime)
        if not_words:
            rec["not_words"] = list(not_words)
        self.records.append(rec)
        return rec

    def manifest(self):
        return {"path": self.path, "kind": "eml-folder", "traits": self.traits, "messages": self.records}


def meta(subject=None, sender=None, message_id=None, date=None, traits=(), words=(), attachments=()):
    """A Mail used only for its record fields (for bytes written by hand)."""
    m = Mail()
    m.subject, m.sender, m.message_id, m.date = subject, sender, message_id, date
    m.traits, m.words, m.attachments = list(traits), list(words), list(attachments)
    return m
