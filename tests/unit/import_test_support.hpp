// Shared by the unit tests of the file-format sources (Maildir, mbox, EML): an
// in-memory UidAssigner with the cache's contract, and a source read through
// the MailSource interface the way the fetch pipeline reads it.
#pragma once

#include <catch2/catch.hpp>

#include <sys/stat.h>
#include <utime.h>

#include <map>
#include <string>
#include <vector>

#include "formats/source_context.hpp"
#include "mailferry/mail_source.hpp"
#include "mbox_test_support.hpp"

namespace import_test {

using namespace mailferry;

// New keys get UIDs above every UID given before in their folder, in the order given.
struct FakeUids {
    std::map<std::pair<std::string, std::string>, uint32_t> uids;
    std::map<std::string, uint32_t> top;
    int calls = 0;
    UidAssigner assigner() {
        return [this](const std::string& folder, const std::vector<std::string>& keys) -> Result<std::vector<uint32_t>> {
            ++calls;
            std::vector<uint32_t> out;
            for (const auto& k : keys) {
                auto [it, fresh] = uids.emplace(std::make_pair(folder, k), 0);
                if (fresh) it->second = ++top[folder];
                out.push_back(it->second);
            }
            return out;
        };
    }
};

struct Context {
    FakeUids uids;
    formats::ImportNotes notes;
    formats::SourceContext ctx() {
        formats::SourceContext c;
        c.assign_uids = uids.assigner();
        c.notes = &notes;
        return c;
    }
    bool warned(const std::string& fragment) const {
        for (const auto& w : notes.warnings())
            if (w.find(fragment) != std::string::npos) return true;
        return false;
    }
    bool erred(const std::string& fragment) const {
        for (const auto& e : notes.errors())
            if (e.find(fragment) != std::string::npos) return true;
        return false;
    }
};

struct Fetched {
    uint32_t uid = 0;
    std::string bytes;
    int64_t received = 0;
    std::string received_from;
    std::string flags;  // IMAP form
    std::string key;
};

// open_folder, list_messages(first_uid), fetch_messages of all of them in batches of batch.
inline std::vector<Fetched> fetch_folder(MailSource& s, const SourceFolder& f, uint32_t first_uid = 1,
                                         size_t batch = 1000) {
    auto st = s.open_folder(f);
    REQUIRE(st.ok());
    auto refs = s.list_messages(first_uid);
    REQUIRE(refs.ok());
    std::vector<Fetched> out;
    for (size_t i = 0; i < refs->size(); i += batch) {
        std::vector<uint32_t> uids;
        for (size_t k = i; k < std::min(refs->size(), i + batch); ++k) uids.push_back((*refs)[k].uid);
        Status fetched = s.fetch_messages(uids, [&](const FetchedMessage& m) {
            out.push_back({m.uid, std::string(m.bytes), m.received, m.received_from, m.flags.to_imap(),
                           std::string(m.source_key)});
            return Status{};
        });
        REQUIRE(fetched.ok());
    }
    return out;
}

inline const SourceFolder& folder_named(const std::vector<SourceFolder>& folders, const std::string& name) {
    for (const auto& f : folders)
        if (f.name == name) return f;
    FAIL("no folder " << name);
    return folders.front();
}

inline void set_mtime(const std::string& path, int64_t t) {
    struct utimbuf times{static_cast<time_t>(t), static_cast<time_t>(t)};
    REQUIRE(utime(path.c_str(), &times) == 0);
}

}  // namespace import_test
