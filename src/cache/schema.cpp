#include "cache/schema.hpp"

#include <string>
#include <vector>

namespace mailferry::cache {
namespace {

// Step N takes the index from version N-1 to N. Never edit a step that has
// shipped: add the next one.
const std::vector<std::string>& steps() {
    static const std::vector<std::string> s = {
        // 0 -> 1: cache format v1 (docs/architecture.md §3).
        R"sql(
CREATE TABLE cache_info (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
CREATE TABLE sources (
    id          INTEGER PRIMARY KEY,
    kind        TEXT NOT NULL,            -- imap, pop3, mbox, maildir, eml
    server      TEXT NOT NULL,            -- host:port, or the imported path
    account     TEXT NOT NULL,            -- user name; never a secret
    created_at  INTEGER NOT NULL,
    last_fetch  INTEGER,
    UNIQUE (kind, server, account)
);
CREATE TABLE folders (
    id           INTEGER PRIMARY KEY,
    source_id    INTEGER NOT NULL REFERENCES sources(id),
    name         TEXT NOT NULL,           -- UTF-8, for people
    raw_name     TEXT NOT NULL,           -- as the source sent it (modified UTF-7)
    delimiter    TEXT NOT NULL,           -- hierarchy delimiter, '' if none
    role         TEXT NOT NULL DEFAULT '',-- special use: \Sent, \Trash, \Junk, \Drafts, \Archive, \All, \Flagged, \Inbox
    selectable   INTEGER NOT NULL DEFAULT 1,
    uidvalidity  INTEGER NOT NULL DEFAULT 0,
    highest_uid  INTEGER NOT NULL DEFAULT 0,
    maildir      TEXT NOT NULL,           -- directory below mail/, '' for INBOX
    on_source    INTEGER NOT NULL DEFAULT 1,
    last_fetch   INTEGER,
    UNIQUE (source_id, raw_name)
);
CREATE UNIQUE INDEX folders_maildir ON folders(maildir);
CREATE TABLE messages (
    id           INTEGER PRIMARY KEY,
    folder_id    INTEGER NOT NULL REFERENCES folders(id),
    uidvalidity  INTEGER NOT NULL DEFAULT 0,
    uid          INTEGER NOT NULL DEFAULT 0,
    source_key   TEXT,                    -- POP3 UIDL or file position, when not IMAP
    sha256       TEXT NOT NULL,
    size         INTEGER NOT NULL,
    received_at  INTEGER NOT NULL,        -- INTERNALDATE, epoch seconds
    flags        TEXT NOT NULL DEFAULT '',-- "\Seen \Flagged $Label"
    message_id   TEXT NOT NULL DEFAULT '',
    date_header  TEXT NOT NULL DEFAULT '',
    from_header  TEXT NOT NULL DEFAULT '',
    to_header    TEXT NOT NULL DEFAULT '',
    subject      TEXT NOT NULL DEFAULT '',
    path         TEXT NOT NULL,           -- relative to the cache directory
    compressed   INTEGER NOT NULL DEFAULT 0,
    gone         INTEGER NOT NULL DEFAULT 0, -- no longer on the source
    fetched_at   INTEGER NOT NULL
);
CREATE UNIQUE INDEX messages_identity ON messages(folder_id, uidvalidity, uid) WHERE source_key IS NULL;
CREATE UNIQUE INDEX messages_source_key ON messages(folder_id, source_key) WHERE source_key IS NOT NULL;
CREATE INDEX messages_sha ON messages(sha256);
CREATE INDEX messages_msgid ON messages(message_id);
CREATE TABLE fetch_failures (
    folder_id    INTEGER NOT NULL REFERENCES folders(id),
    uidvalidity  INTEGER NOT NULL,
    uid          INTEGER NOT NULL,
    reason       TEXT NOT NULL,
    attempts     INTEGER NOT NULL DEFAULT 1,
    PRIMARY KEY (folder_id, uidvalidity, uid)
);
CREATE TABLE targets (
    id          INTEGER PRIMARY KEY,
    url         TEXT NOT NULL UNIQUE,     -- the mailbox: user@host (lower-case host; no scheme, no port)
    profile     TEXT NOT NULL,
    created_at  INTEGER NOT NULL
);
CREATE TABLE ledger (
    message_id         INTEGER NOT NULL REFERENCES messages(id),
    target_id          INTEGER NOT NULL REFERENCES targets(id),
    state              TEXT NOT NULL,     -- pending, done, skipped, failed
    target_folder      TEXT,
    target_uidvalidity INTEGER,
    target_uid         INTEGER,
    attempts           INTEGER NOT NULL DEFAULT 0,
    last_text          TEXT,
    updated_at         INTEGER NOT NULL,
    PRIMARY KEY (message_id, target_id)
);
CREATE TABLE runs (
    id          INTEGER PRIMARY KEY,
    command     TEXT NOT NULL,            -- fetch, import, replay, verify
    source_id   INTEGER,
    started_at  INTEGER NOT NULL,
    ended_at    INTEGER,
    status      TEXT NOT NULL DEFAULT 'running', -- running, ok, failed (a run killed stays 'running')
    summary     TEXT                      -- JSON counts
);
)sql",
        // 1 -> 2: stable UIDs for sources without their own (POP3 UIDLs, files),
        // and where each received date came from.
        R"sql(
CREATE TABLE source_uids (
    source_id   INTEGER NOT NULL REFERENCES sources(id),
    folder      TEXT NOT NULL,            -- the folder's raw name at the source
    key         TEXT NOT NULL,            -- POP3 UIDL, or a file identity
    uid         INTEGER NOT NULL,         -- the UID the cache gave it, forever
    PRIMARY KEY (source_id, folder, key)
);
CREATE UNIQUE INDEX source_uids_uid ON source_uids(source_id, folder, uid);
ALTER TABLE messages ADD COLUMN received_from TEXT NOT NULL DEFAULT 'server';
                                      -- server (INTERNALDATE), received (last Received:),
                                      -- date (Date:), fetch (fetch time), from_line, mtime
)sql",
        // 2 -> 3: the full-text index for review (docs/architecture.md §3): headers and
        // decoded text, one row per message (rowid = messages.id).
        R"sql(
CREATE VIRTUAL TABLE message_text USING fts5(
    subject, sender, recipients, body, attachments,
    tokenize = 'unicode61 remove_diacritics 2'
);
ALTER TABLE messages ADD COLUMN text_state INTEGER NOT NULL DEFAULT 0;
                                      -- 0 not indexed yet, 1 indexed, 2 indexed but the MIME
                                      -- structure was broken or cut by a limit (headers at least)
)sql",
        // 3 -> 4: the text index keeps no copy of the text (content=''): the
        // copy took 40% of the indexing time and doubled the cache's size, and
        // the text is in the message files, where search reads its snippets.
        // The new index fills at the next fetch, import or reindex.
        R"sql(
DROP TABLE message_text;
CREATE VIRTUAL TABLE message_text USING fts5(
    subject, sender, recipients, body, attachments,
    content = '',
    tokenize = 'unicode61 remove_diacritics 2'
);
UPDATE messages SET text_state = 0;
CREATE INDEX messages_not_indexed ON messages(id) WHERE text_state = 0;
                                      -- what the indexer takes next, and what a search warns of
)sql",
        // 4 -> 5: a message's row in the text index is keyed by its received
        // date (text_index.hpp, text_key), not by its id, so that FTS5 yields
        // the matches newest (or oldest) first and a search stops at its
        // limit instead of sorting every match. Refills like 3 -> 4.
        R"sql(
INSERT INTO message_text(message_text) VALUES ('delete-all');
UPDATE messages SET text_state = 0;
ALTER TABLE messages ADD COLUMN text_key INTEGER;
                                      -- its rowid in message_text; NULL until indexed
CREATE UNIQUE INDEX messages_text_key ON messages(text_key) WHERE text_key IS NOT NULL;
)sql",
        // 5 -> 6: the flags a target was given for each message (at its APPEND,
        // or when a later change was carried over), so that a flag changed at
        // the source after the replay reaches the target too (watch, and a
        // replay run again). Rows done before this knew only the message's
        // flags as they are now: taken as sent.
        R"sql(
ALTER TABLE ledger ADD COLUMN sent_flags TEXT;  -- IMAP form; NULL until done
UPDATE ledger SET sent_flags = (SELECT flags FROM messages WHERE messages.id = ledger.message_id)
    WHERE state = 'done';
)sql",
        // 6 -> 7: the folder's HIGHESTMODSEQ when its flags were last read in
        // full or in part, so that the next fetch asks only for the flags
        // changed since (CONDSTORE CHANGEDSINCE). 0: unknown, read them all.
        // And when --propagate-deletes removed a sent message from the target
        // because the source had deleted it.
        R"sql(
ALTER TABLE folders ADD COLUMN flags_modseq INTEGER NOT NULL DEFAULT 0;
                                      -- for folders.uidvalidity; 0 when unknown
ALTER TABLE ledger ADD COLUMN deleted_at INTEGER;
                                      -- removed from the target (--propagate-deletes); NULL: there
)sql",
    };
    return s;
}

}  // namespace

Status check_schema_readable(wrap::Database& db, const std::string& dir) {
    int64_t version = db.user_version();
    const auto known = static_cast<int64_t>(steps().size());
    if (version < 0) return make_error(ErrorKind::io, Radius::fatal, "cannot read the schema version of " + dir);
    if (version == 0)
        return make_error(ErrorKind::not_found, Radius::fatal, dir + " is not a mailferry cache (an empty index)");
    if (version > known)
        return make_error(ErrorKind::usage, Radius::fatal,
                          "the cache " + dir + " has index schema version " + std::to_string(version) +
                              ", newer than this mailferry understands (" + std::to_string(known) +
                              "): upgrade mailferry");
    if (version < known)
        return make_error(ErrorKind::usage, Radius::fatal,
                          "the cache " + dir + " has index schema version " + std::to_string(version) +
                              " of an older mailferry: run a fetch, import or replay on it once to upgrade it");
    return {};
}

Status migrate(wrap::Database& db) {
    int64_t version = db.user_version();
    const auto& all = steps();
    if (version < 0) return make_error(ErrorKind::io, Radius::fatal, "cannot read the cache's schema version");
    if (version > static_cast<int64_t>(all.size())) {
        return make_error(ErrorKind::usage, Radius::fatal,
                          "this cache has index schema version " + std::to_string(version) +
                              ", newer than this mailferry understands (" +
                              std::to_string(all.size()) + "): upgrade mailferry");
    }
    for (auto v = static_cast<size_t>(version); v < all.size(); ++v) {
        auto tx = wrap::Transaction::begin(db);
        if (!tx) return tx.error();
        MF_TRY(db.exec(all[v]));
        MF_TRY(db.set_user_version(static_cast<int64_t>(v + 1)));
        MF_TRY(tx->commit());
    }
    return {};
}

}  // namespace mailferry::cache
