// --folder and --exclude: IMAP LIST wildcards ('*' matches anything, '%'
// anything but the hierarchy delimiter), matched against the folder's UTF-8
// name and its name as sent. Case-sensitive, except that INBOX matches in any case.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "mailferry/mail_source.hpp"

namespace mailferry::pipeline {

bool wildcard_match(std::string_view pattern, std::string_view name, char delimiter);

class FolderFilter {
public:
    FolderFilter(std::vector<std::string> include, std::vector<std::string> exclude)
        : include_(std::move(include)), exclude_(std::move(exclude)) {}
    // No --folder means every folder; --exclude wins over --folder.
    bool accepts(const SourceFolder& folder) const;

private:
    bool any_match(const std::vector<std::string>& patterns, const SourceFolder& f) const;
    std::vector<std::string> include_, exclude_;
};

}  // namespace mailferry::pipeline
