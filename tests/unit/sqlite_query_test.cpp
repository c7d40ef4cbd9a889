// wrap::Database::query / execute: the arguments land on ?1..?n in order,
// whatever integer, string or optional type each one has.
#include <catch2/catch.hpp>

#include <optional>

#include "temp_dir.hpp"
#include "wrap/sqlite.hpp"

using namespace mailferry;

TEST_CASE("query and execute bind integers, strings, optionals and NULL in order", "[sqlite]") {
    mailferry::test::ScratchDir dir;
    auto db = wrap::Database::open(dir / "t.sqlite", wrap::DatabaseAccess::create);
    REQUIRE(db.ok());
    REQUIRE(db->exec("CREATE TABLE t(a INTEGER, b TEXT, c INTEGER, d INTEGER, e TEXT)").ok());
    const uint32_t big = 4294967295u;
    const std::string text = "it's";
    REQUIRE(db->execute("INSERT INTO t VALUES (?, ?, ?, ?, ?)", big, text, true, std::optional<int64_t>(), "lit").ok());
    REQUIRE(db->execute("INSERT INTO t VALUES (?, ?, ?, ?, ?)", -7, std::string_view("v"), false,
                        std::optional<int64_t>(42), std::nullopt)
                .ok());

    auto st = db->query("SELECT a, b, c, d IS NULL, coalesce(e, 'null') FROM t WHERE a = ?", big);
    REQUIRE(st.ok());
    REQUIRE(st->step().value());
    CHECK(st->int64(0) == 4294967295LL);
    CHECK(st->text(1) == "it's");
    CHECK(st->int64(2) == 1);
    CHECK(st->int64(3) == 1);
    CHECK(st->text(4) == "lit");

    auto other = db->query("SELECT b, c, d, coalesce(e, 'null') FROM t WHERE a = ? AND c = ?", -7, false);
    REQUIRE(other.ok());
    REQUIRE(other->step().value());
    CHECK(other->text(0) == "v");
    CHECK(other->int64(1) == 0);
    CHECK(other->int64(2) == 42);
    CHECK(other->text(3) == "null");

    // A bad statement is an error, not a throw; so is a failing execute.
    CHECK_FALSE(db->query("SELECT nothing FROM nowhere WHERE x = ?", 1).ok());
    REQUIRE(db->exec("CREATE UNIQUE INDEX one_a ON t(a)").ok());
    CHECK_FALSE(db->execute("INSERT INTO t(a) VALUES (?)", big).ok());
}
