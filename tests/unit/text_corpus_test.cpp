// extract_text against the dev corpus (MANIFEST.md): words that exist only
// inside encoded bodies in non-UTF-8 charsets, a subject, attachment names,
// and every message of the corpus read without a crash.
#include <catch2/catch.hpp>

#include <algorithm>
#include <functional>
#include <map>

#include "formats/mbox/mbox_reader.hpp"
#include "mbox_test_support.hpp"
#include "mime/charset.hpp"
#include "mime/text_extract.hpp"

using namespace mailferry;
using namespace mailferry::mime;
using mbox_test::corpus_dir;
using mbox_test::read_bytes;
namespace fs = std::filesystem;

namespace {

bool contains(const std::string& hay, const std::string& needle) { return hay.find(needle) != std::string::npos; }

// Dovecot's own files in a Maildir++ tree are not messages.
bool is_maildir_message(const fs::path& p) {
    std::string name = p.filename().string();
    return name.rfind("dovecot", 0) != 0 && name != "subscriptions" && name != "maildirfolder";
}

std::vector<fs::path> files_under(const fs::path& dir) {
    std::vector<fs::path> out;
    for (const auto& e : fs::recursive_directory_iterator(dir))
        if (e.is_regular_file()) out.push_back(e.path());
    std::sort(out.begin(), out.end());
    return out;
}

// Every message of the corpus: each Maildir file, each mbox entry, each file in eml/ and malformed/.
void for_each_corpus_message(const std::function<void(const std::string& name, std::string_view bytes)>& fn) {
    const fs::path root = corpus_dir();
    for (const auto& p : files_under(root / "maildir"))
        if (is_maildir_message(p)) fn(fs::relative(p, root).string(), read_bytes(p.string()));
    for (const char* dir : {"eml", "malformed"})
        for (const auto& p : files_under(root / dir)) fn(fs::relative(p, root).string(), read_bytes(p.string()));
    for (const auto& p : files_under(root / "mbox")) {
        if (p.extension() != ".mbox") continue;
        mbox::MboxReader reader(p.string());
        Status st = reader.read([&](const mbox::MboxMessage& m) {
            fn(fs::relative(p, root).string() + "#" + std::to_string(m.index), m.bytes);
            return Status{};
        });
        REQUIRE(st.ok());
    }
}

ExtractedText extract_file(const std::string& relative) {
    std::string bytes = read_bytes(corpus_dir() + "/" + relative);
    REQUIRE_FALSE(bytes.empty());
    return extract_text(bytes);
}

bool all_valid(const ExtractedText& t) {
    for (const std::string* s : {&t.from, &t.to, &t.cc, &t.subject, &t.date, &t.message_id, &t.body})
        if (!is_valid_utf8(*s) || s->find('\0') != std::string::npos) return false;
    for (const auto& n : t.attachment_names)
        if (!is_valid_utf8(n) || n.find('\0') != std::string::npos) return false;
    return true;
}

}  // namespace

TEST_CASE("corpus: words only inside encoded bodies in non-UTF-8 charsets are found in UTF-8", "[text][corpus]") {
    // ISO-2022-JP, quoted-printable, text/plain and text/html alternatives: the only Japanese in the
    // bodies is font names in the HTML's <style>, which must not be indexed. From is ISO-2022-JP too.
    auto jp = extract_file("maildir/dovecot-maildirpp/new/1795640795.M402863P28203.vm,S=14870,W=15120");
    CHECK(jp.parsed);
    CHECK(jp.from == "佐藤昌宏 / SATOU，MASAHIRO <masahiro.satou.ey@hitachi-systems.com>");
    CHECK(contains(jp.body, "BalancerMember https://10.0.0.1/ loadfactor=20 keepalive=On"));
    CHECK(contains(jp.body, "Please teach me."));
    CHECK_FALSE(contains(jp.body, "ゴシック"));
    CHECK_FALSE(contains(jp.body, "font-family"));

    // GB2312, quoted-printable: "Thanks=A3=A1" is a full-width exclamation mark.
    auto gb = extract_file("maildir/notmuch-lkml/cur/1382298793.002302:2,");
    CHECK(contains(gb.body, "Thanks！"));

    // EUC-JP and UTF-16 parts in base64.
    const std::string eucjp = "malformed/dovecot-via-stalwart-thirdparty/005.eml";
    CHECK_FALSE(contains(read_bytes(corpus_dir() + "/" + eucjp), "世界人権宣言"));
    auto e = extract_file(eucjp);
    CHECK(contains(e.body, "『世界人権宣言』"));
    CHECK(contains(e.body, "Test message"));

    // KOI8-R, 8-bit, with KOI8-R encoded words in From and Subject.
    auto koi = extract_file("malformed/mailman3/bad_email.eml");
    CHECK(koi.from == "Рекреативное агентство");
    CHECK(contains(koi.body, "ЧТО ТАКОЕ РЕКЛАМНАЯ РАССЫЛКА?"));
}

TEST_CASE("corpus: a subject in ISO-2022-JP encoded words, attachment names in RFC 2231 and RFC 2047", "[text][corpus]") {
    auto jp = extract_file("eml/mimekit-messages/japanese.txt");
    CHECK(jp.subject == "日本語メールテスト (testing Japanese emails)");
    CHECK(contains(jp.body, "日本語が\n正常に\n送れているか\nテスト."));

    for (const char* f : {"eml/mime4j-mimetools/attachment-filename-encoding-UTF8.msg",
                          "eml/mime4j-mimetools/attachment-filename-encoding-Latin1.msg"}) {
        CAPTURE(f);
        auto t = extract_file(f);
        CHECK(t.attachment_names == std::vector<std::string>{"attachment.äöü"});
    }
    auto nyan = extract_file("eml/nodemailer-mailparser/nodemailer.eml");
    CHECK(std::count(nyan.attachment_names.begin(), nyan.attachment_names.end(), "nyan cat ✔.gif") == 1);
    auto ru = extract_file("eml/mime4j-mimetools/russian.msg");
    CHECK(ru.attachment_names == std::vector<std::string>{"Список.doc"});
    CHECK(ru.body.empty());  // the message itself is the attachment
}

TEST_CASE("corpus: every message is read, without a crash, into valid UTF-8 within the limits", "[text][corpus]") {
    size_t total = 0, parsed = 0, bytes = 0;
    std::map<std::string, size_t> problems;
    for_each_corpus_message([&](const std::string& name, std::string_view msg) {
        ExtractedText t = extract_text(msg);
        ++total;
        bytes += msg.size();
        if (t.parsed) ++parsed;
        else ++problems[t.problem];
        CAPTURE(name);
        CHECK(all_valid(t));
        CHECK(t.body.size() <= TextLimits{}.max_body_bytes);
        CHECK(t.parsed == t.problem.empty());
    });
    std::string summary = std::to_string(total) + " messages, " + std::to_string(bytes) + " bytes: " +
                          std::to_string(parsed) + " parsed, " + std::to_string(total - parsed) + " not:";
    for (const auto& [p, n] : problems) summary += "\n  " + std::to_string(n) + " x " + p;
    WARN(summary);
    // Counted with tests/bench/text_bench --list and each unparsed message read by hand: 4 multiparts
    // whose declared boundary never appears (text kept as plain text), 2 without a boundary parameter
    // nor a line that looks like a delimiter, 2 with more than 1 MiB of text.
    CHECK(total == 2919);
    CHECK(parsed == 2911);
}
