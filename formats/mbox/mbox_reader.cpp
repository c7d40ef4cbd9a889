#include "formats/mbox/mbox_reader.hpp"

#include "formats/mbox/mbox_splitter.hpp"
#include "wrap/file_input.hpp"

namespace mailferry::mbox {

const char* variant_name(Variant v) {
    switch (v) {
    case Variant::auto_detect: return "auto";
    case Variant::mboxo: return "mboxo";
    case Variant::mboxrd: return "mboxrd";
    }
    return "?";
}

MboxReader::MboxReader(std::string path, ReaderOptions options)
    : path_(std::move(path)), options_(options) {}

MboxReader::~MboxReader() = default;

Status MboxReader::read(const MessageCallback& on_message) {
    report_ = ReadReport{};
    auto input = wrap::FileInput::open(path_);
    if (!input) return input.error();
    MboxSplitter splitter(*input, options_, report_, on_message);
    return splitter.run();
}

}  // namespace mailferry::mbox
