// The fuzz targets' bodies: one function per target, called by its libFuzzer
// entry (<name>_fuzz.cpp) and by the unit test that replays the crashers kept
// in regressions/<name>/. Each takes any bytes, and aborts (fuzz_check.hpp)
// when the code under test breaks a property it promises; crashes and
// sanitizer reports come from the code itself.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

namespace mailferry::fuzz {

void mbox_reader_one(const uint8_t* data, size_t size);   // formats/mbox: a whole mbox file
void maildir_name_one(const uint8_t* data, size_t size);  // formats/maildir: file and folder names
void mime_text_one(const uint8_t* data, size_t size);     // src/mime: a message's fields and text
void mutf7_one(const uint8_t* data, size_t size);         // modified UTF-7, both ways
void server_reply_one(const uint8_t* data, size_t size);  // IMAP/POP3 lines we parse ourselves
void folder_map_one(const uint8_t* data, size_t size);    // a --folder-map file, then the plan
void date_parse_one(const uint8_t* data, size_t size);    // Date: values, From_ dates, epoch and calendar fields
void flags_one(const uint8_t* data, size_t size);         // flag lists, X-Keywords:, dovecot-keywords
void append_command_one(const uint8_t* data, size_t size);  // the APPEND command line we write
void long_line_repair_one(const uint8_t* data, size_t size);  // --repair long-lines on one message

struct Target {
    const char* name;  // the regressions/ folder and the <name>_fuzz binary
    void (*run)(const uint8_t*, size_t);
};

const std::vector<Target>& all_targets();

}  // namespace mailferry::fuzz
