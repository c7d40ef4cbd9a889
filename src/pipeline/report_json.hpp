// The JSON shape of each report (--json, and whatever else shows a report:
// a web view, a batch runner), beside the report structs they describe, and
// the one way JSON becomes text. The command that prints a report adds what
// only it knows (the source URL, the cache path).
#pragma once

#include <nlohmann/json.hpp>

#include <string>

#include "cache/text_index.hpp"
#include "cache/text_search.hpp"
#include "pipeline/attachment_saver.hpp"
#include "pipeline/export.hpp"
#include "pipeline/fetch.hpp"
#include "pipeline/replay.hpp"
#include "pipeline/verify.hpp"
#include "pipeline/verify_target.hpp"
#include "pipeline/watch.hpp"

namespace mailferry::pipeline {

nlohmann::json to_json(const FetchReport& r);
nlohmann::json to_json(const ReplayReport& r);
nlohmann::json to_json(const ExportReport& r);
nlohmann::json to_json(const VerifyReport& r);
nlohmann::json to_json(const TargetVerifyReport& r);
nlohmann::json to_json(const AttachmentsSaved& r);
nlohmann::json to_json(const cache::TextIndexReport& r);
nlohmann::json to_json(const std::vector<cache::SearchHit>& hits);
nlohmann::json to_json(const WatchReport& r);

// The problem kinds each verify report counts, in the order they are shown.
extern const char* const kVerifyProblemKinds[7];
extern const char* const kTargetProblemKinds[5];

// j as JSON text (indent -1: one line). Strings taken from mail or from the
// file system (a subject, a folder, a path) need not be UTF-8; nlohmann's
// dump() throws on such bytes, which ended a finished run in "internal
// error". Here each invalid byte becomes U+FFFD: the output stays valid JSON.
std::string json_text(const nlohmann::json& j, int indent = -1);

}  // namespace mailferry::pipeline
