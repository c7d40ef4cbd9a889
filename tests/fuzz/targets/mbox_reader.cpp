// formats/mbox: the input is a whole mbox file (plain, or gzip when it starts
// with 1f 8b), read the way an import reads it. Properties:
//  - the result does not depend on the reader's chunk size (a second read with
//    a tiny window must deliver the same messages, offsets and variant);
//  - messages are non-empty, in order, and within the data;
//  - X-Gmail-Labels values survive parse_takeout_labels.
#include <sys/mman.h>
#include <unistd.h>

#include <string>
#include <vector>

#include "formats/mbox/mbox_reader.hpp"
#include "formats/mbox/takeout_labels.hpp"
#include "fuzz_check.hpp"
#include "fuzz_targets.hpp"

namespace mailferry::fuzz {
namespace {

// MboxReader reads a path: an in-memory file, reused across inputs, spares
// the disk. /proc/self/fd/N opens it afresh for each read.
class MemoryFile {
public:
    MemoryFile() : fd_(memfd_create("mbox_reader_fuzz", 0)) {}
    ~MemoryFile() { close(fd_); }
    std::string fill(const uint8_t* data, size_t size) {
        MF_FUZZ_CHECK(fd_ >= 0 && ftruncate(fd_, 0) == 0);
        for (size_t done = 0; done < size;) {
            ssize_t n = pwrite(fd_, data + done, size - done, off_t(done));
            MF_FUZZ_CHECK(n > 0);
            done += size_t(n);
        }
        return "/proc/self/fd/" + std::to_string(fd_);
    }

private:
    int fd_;
};

struct Seen {
    std::string bytes;
    uint64_t offset;
    bool operator==(const Seen&) const = default;
};

struct Outcome {
    std::vector<Seen> messages;
    mbox::ReadReport report;
    bool ok = false;
};

Outcome read_all(const std::string& path, size_t chunk_size) {
    mbox::ReaderOptions options;
    options.chunk_size = chunk_size;
    mbox::MboxReader reader(path, options);
    Outcome out;
    out.ok = reader.read([&](const mbox::MboxMessage& m) {
                       MF_FUZZ_CHECK(!m.bytes.empty());
                       MF_FUZZ_CHECK(m.index == out.messages.size());
                       MF_FUZZ_CHECK(out.messages.empty() || m.offset > out.messages.back().offset);
                       if (m.gmail_labels) {
                           auto labels = mbox::parse_takeout_labels(*m.gmail_labels);
                           for (const auto& f : labels.folders) (void)mbox::takeout_label_role(f);
                       }
                       out.messages.push_back({std::string(m.bytes), m.offset});
                       return Status{};
                   }).ok();
    out.report = reader.report();
    return out;
}

}  // namespace

void mbox_reader_one(const uint8_t* data, size_t size) {
    static MemoryFile file;
    const std::string path = file.fill(data, size);
    Outcome big = read_all(path, size_t{1} << 20);
    MF_FUZZ_CHECK(big.report.messages == big.messages.size());
    // Un-escaping only removes bytes: a message fits between its offset and the end.
    for (const auto& m : big.messages) MF_FUZZ_CHECK(m.offset + m.bytes.size() <= big.report.bytes);
    // A window of 7 bytes puts every boundary case everywhere, but costs a
    // read() per 7 bytes: big inputs get a window that is merely small.
    Outcome tiny = read_all(path, size <= 16 * 1024 ? 7 : 4099);
    MF_FUZZ_CHECK(tiny.ok == big.ok);
    MF_FUZZ_CHECK(tiny.messages == big.messages);
    MF_FUZZ_CHECK(tiny.report.variant == big.report.variant);
    MF_FUZZ_CHECK(tiny.report.skipped == big.report.skipped);
}

}  // namespace mailferry::fuzz
