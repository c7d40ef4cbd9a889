// Saving attachments as files: safe names from hostile ones, unique names
// that never overwrite, no symbolic link followed, nothing outside the
// directory, files 0600.
#include <catch2/catch.hpp>

#include <boost/filesystem.hpp>
#include <fstream>
#include <set>
#include <sys/stat.h>

#include "pipeline/attachment_saver.hpp"
#include "pipeline/export_paths.hpp"

using namespace mailferry;
using pipeline::attachment_file_name;
namespace fs = boost::filesystem;

namespace {

struct TempDir {
    fs::path path = fs::temp_directory_path() / fs::unique_path("mf-attach-test-%%%%%%%%");
    TempDir() { fs::create_directories(path); }
    ~TempDir() { fs::remove_all(path); }
};

std::set<std::string> entries(const fs::path& dir) {
    std::set<std::string> out;
    for (const auto& e : fs::directory_iterator(dir)) out.insert(e.path().filename().string());
    return out;
}

std::string contents(const fs::path& file) {
    std::ifstream in(file.string(), std::ios::binary);
    return std::string(std::istreambuf_iterator<char>(in), {});
}

bool valid_utf8(const std::string& s) {
    for (size_t i = 0; i < s.size();) {
        auto c = static_cast<unsigned char>(s[i]);
        size_t len = c < 0x80 ? 1 : (c >> 5) == 6 ? 2 : (c >> 4) == 14 ? 3 : (c >> 3) == 30 ? 4 : 0;
        if (len == 0 || i + len > s.size()) return false;
        for (size_t k = 1; k < len; ++k)
            if ((static_cast<unsigned char>(s[i + k]) & 0xC0) != 0x80) return false;
        i += len;
    }
    return true;
}

mime::Attachment attachment(const std::string& name, std::string_view bytes, const std::string& type = "application/pdf") {
    return mime::Attachment{name, type, bytes, true};
}

}  // namespace

TEST_CASE("an attachment's name becomes one safe file name", "[attachments]") {
    struct Row {
        std::string name, file;
    };
    const Row table[] = {
        {"report.pdf", "report.pdf"},
        {"../../etc/passwd", "_._.._etc_passwd"},
        {"/etc/passwd", "_etc_passwd"},
        {"a/b\\c", "a_b_c"},
        {"..", "__"},
        {".", "_"},
        {".bashrc", "_bashrc"},
        {"new\nline\r.txt", "new_line_.txt"},
        {std::string("nul\0byte.txt", 12), "nul_byte.txt"},
        {"bell\x07 esc\x1b[31m del\x7f", "bell_ esc_[31m del_"},
        {"bidi \xe2\x80\xae" "exe.pdf", "bidi _exe.pdf"},  // U+202E would show "fdp.exe"
        {"Отчёт за 2024.pdf", "Отчёт за 2024.pdf"},
        {"what?.txt", "what_.txt"},
        {"CON.txt", "_CON.txt"},
        {"trailing dot.", "trailing dot_"},
    };
    for (const auto& r : table) {
        CAPTURE(r.name);
        CHECK(attachment_file_name(r.name, "application/pdf", 1) == r.file);
    }
    // No name: attachment-N, with an extension for the types mail carries most.
    CHECK(attachment_file_name("", "application/pdf", 1) == "attachment-1.pdf");
    CHECK(attachment_file_name("", "image/jpeg", 2) == "attachment-2.jpg");
    CHECK(attachment_file_name("", "message/rfc822", 3) == "attachment-3.eml");
    CHECK(attachment_file_name("", "application/x-unheard-of", 4) == "attachment-4");
    CHECK(pipeline::numbered_file_name("report.pdf", 2) == "report (2).pdf");
    CHECK(pipeline::numbered_file_name("README", 3) == "README (3)");
    CHECK(pipeline::numbered_file_name("_bashrc", 2) == "_bashrc (2)");
}

TEST_CASE("an overlong name is cut at a character boundary and keeps its extension", "[attachments]") {
    std::string ascii = attachment_file_name(std::string(596, 'x') + ".pdf", "", 1);
    CHECK(ascii.size() == pipeline::kMaxComponentBytes);
    CHECK(ascii.substr(ascii.size() - 4) == ".pdf");
    std::string umlauts;
    for (int i = 0; i < 300; ++i) umlauts += "\xc3\xbc";  // ü, 2 bytes each
    std::string cut = attachment_file_name("x" + umlauts + ".docx", "", 1);
    CHECK(cut.size() <= pipeline::kMaxComponentBytes);
    CHECK(cut.size() >= pipeline::kMaxComponentBytes - 1);
    CHECK(cut.substr(cut.size() - 5) == ".docx");
    CHECK(valid_utf8(cut));
    // Without an extension (or with one too long to be one), the name is simply cut.
    std::string no_ext = attachment_file_name(std::string(600, 'y'), "", 1);
    CHECK(no_ext == std::string(pipeline::kMaxComponentBytes, 'y'));
}

TEST_CASE("saved files are unique, 0600, never overwrite, and stay inside the directory", "[attachments]") {
    TempDir t;
    const fs::path dir = t.path / "saved";
    fs::create_directory(dir);
    std::ofstream(dir.string() + "/report.pdf") << "the user's own file";
    std::ofstream((t.path / "outside.txt").string()) << "outside";
    fs::create_symlink(t.path / "outside.txt", dir / "evil.txt");      // a planted link to a file outside
    fs::create_symlink(t.path / "not-there", dir / "dangling.txt");    // and one to where a file would be made
    auto saver = pipeline::AttachmentSaver::open(dir.string());
    REQUIRE(saver);

    struct Case {
        std::string name, bytes, file;
    };
    const Case cases[] = {
        {"report.pdf", "first", "report (2).pdf"},  // the existing file stays
        {"report.pdf", "second", "report (3).pdf"},
        {"REPORT.pdf", "upper", "REPORT.pdf"},
        {"evil.txt", "not through the link", "evil (2).txt"},
        {"dangling.txt", "not through the link either", "dangling (2).txt"},
        {"../../outside.txt", "dots", "_._.._outside.txt"},
        {"../../outside.txt", "dots again", "_._.._outside (2).txt"},
        {"/tmp/x", "absolute", "_tmp_x"},
        {"..", "dotdot", "__"},
        {".", "dot", "_"},
        {"", "unnamed", "attachment-1.pdf"},
        {"", "unnamed too", "attachment-2.pdf"},
        {"attachment-3.pdf", "a named one", "attachment-3.pdf"},
        {"", "third unnamed", "attachment-3 (2).pdf"},
    };
    for (const auto& c : cases) {
        CAPTURE(c.name);
        auto saved = saver->save(attachment(c.name, c.bytes));
        REQUIRE(saved);
        CHECK(saved->file == c.file);
        CHECK(saved->name == c.name);
        CHECK(saved->bytes == c.bytes.size());
        CHECK(contents(dir / c.file) == c.bytes);
        struct stat st{};
        REQUIRE(::lstat((dir / c.file).c_str(), &st) == 0);
        CHECK(S_ISREG(st.st_mode));
        CHECK((st.st_mode & 0777) == 0600);
    }
    REQUIRE(saver->finish());
    CHECK(contents(dir / "report.pdf") == "the user's own file");
    CHECK(contents(t.path / "outside.txt") == "outside");
    CHECK_FALSE(fs::exists(t.path / "not-there"));
    CHECK(entries(t.path) == std::set<std::string>{"saved", "outside.txt"});
    CHECK(entries(dir).size() == std::size(cases) + 3);  // and the three that were there
}

TEST_CASE("saving binary bytes and an empty attachment is exact", "[attachments]") {
    TempDir t;
    auto saver = pipeline::AttachmentSaver::open(t.path.string());
    REQUIRE(saver);
    std::string all;
    for (int i = 0; i < 256; ++i) all += static_cast<char>(i);
    auto saved = saver->save(attachment("all.bin", all, "application/octet-stream"));
    REQUIRE(saved);
    CHECK(contents(t.path / "all.bin") == all);
    auto empty = saver->save(attachment("empty.txt", "", "text/plain"));
    REQUIRE(empty);
    CHECK(fs::file_size(t.path / "empty.txt") == 0);
}

TEST_CASE("a missing directory is an io error, not a crash", "[attachments]") {
    TempDir t;
    auto saver = pipeline::AttachmentSaver::open((t.path / "missing").string());
    REQUIRE_FALSE(saver);
    CHECK(saver.error().kind == ErrorKind::io);
    // A directory inside the cache is refused before anything is written.
    Status inside = pipeline::check_output_directory(t.path.string(), (t.path / "sub").string(), "the attachment directory");
    REQUIRE_FALSE(inside);
    CHECK(inside.error().kind == ErrorKind::usage);
    CHECK_FALSE(fs::exists(t.path / "sub"));
}
