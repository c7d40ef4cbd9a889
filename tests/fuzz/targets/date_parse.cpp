// Dates (src/core/clock.hpp, rfc5322_date.hpp): the input is taken as
// a Date: value, as the date of an mbox From_ line, as an epoch time (its
// first 8 bytes) and as calendar fields (its first 28 bytes, as they are and
// narrowed to near the valid ranges). Properties, checked against a second
// way of counting days (date_oracle.hpp):
//  - whatever parses lies within [kEarliestEpoch, kLatestEpoch];
//  - epoch_from_fields refuses exactly the fields its comment calls out of
//    range, and otherwise gives the oracle's epoch, clamped;
//  - civil_from_epoch gives fields in range (month 1-12, day up to
//    days_in_month, no second 60) that count back to the clamped epoch;
//  - imap_date_time succeeds exactly for epochs in range, and its text (as
//    APPEND sends it) means that epoch; so do iso8601_utc, an RFC 5322 Date:
//    and a From_ line written from the same fields.
#include <cstdio>
#include <cstring>
#include <string>
#include <string_view>

#include "date_oracle.hpp"
#include "formats/mbox/from_line.hpp"
#include "fuzz_check.hpp"
#include "fuzz_targets.hpp"
#include "core/clock.hpp"
#include "core/rfc5322_date.hpp"
#include "wrap/imap_appender.hpp"

namespace mailferry::fuzz {
namespace {

bool in_range(int64_t t) { return t >= kEarliestEpoch && t <= kLatestEpoch; }

// Unsigned arithmetic for the bytes, then a plain cast: no overflow to report.
int32_t int32_at(const uint8_t* p) {
    uint32_t v = 0;
    std::memcpy(&v, p, sizeof v);
    return static_cast<int32_t>(v);
}
int64_t int64_at(const uint8_t* p) {
    uint64_t v = 0;
    std::memcpy(&v, p, sizeof v);
    return static_cast<int64_t>(v);
}

const char* const kMonths[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};

// "Thu, 1 Jan 1970 00:00:00 +0000" from c; the weekday is not checked by the parser.
std::string rfc5322_of(const CivilTime& c) {
    char buf[64];
    std::snprintf(buf, sizeof buf, "Thu, %d %s %04d %02d:%02d:%02d +0000", c.day, kMonths[c.month - 1], c.year,
                  c.hour, c.minute, c.second);
    return buf;
}

void check_iso8601(int64_t clamped) {
    std::string iso = iso8601_utc(clamped);
    MF_FUZZ_CHECK(iso.size() == 20 && iso[4] == '-' && iso[7] == '-' && iso[10] == 'T' && iso[13] == ':' &&
                  iso[16] == ':' && iso[19] == 'Z');
    int y = 0, mo = 0, d = 0, h = 0, mi = 0, s = 0;
    MF_FUZZ_CHECK(std::sscanf(iso.c_str(), "%4d-%2d-%2dT%2d:%2d:%2dZ", &y, &mo, &d, &h, &mi, &s) == 6);
    MF_FUZZ_CHECK(oracle_epoch(y, mo, d, h, mi, s) == clamped);
}

void check_epoch(int64_t t) {
    const int64_t clamped = clamp_epoch(t);
    MF_FUZZ_CHECK(in_range(clamped));
    MF_FUZZ_CHECK(clamp_epoch(clamped) == clamped);
    if (in_range(t)) MF_FUZZ_CHECK(clamped == t);

    const CivilTime c = civil_from_epoch(t);
    MF_FUZZ_CHECK(c.year >= 1 && c.year <= 9999 && c.month >= 1 && c.month <= 12);
    MF_FUZZ_CHECK(days_in_month(c.year, c.month) == oracle_days_in_month(c.year, c.month));
    MF_FUZZ_CHECK(c.day >= 1 && c.day <= oracle_days_in_month(c.year, c.month));
    MF_FUZZ_CHECK(c.hour >= 0 && c.hour <= 23 && c.minute >= 0 && c.minute <= 59 && c.second >= 0 && c.second <= 59);
    MF_FUZZ_CHECK(oracle_epoch(c.year, c.month, c.day, c.hour, c.minute, c.second) == clamped);
    auto back = epoch_from_fields(c.year, c.month, c.day, c.hour, c.minute, c.second, 0);
    MF_FUZZ_CHECK(back && *back == clamped);

    auto imap = wrap::imap_date_time(t);
    MF_FUZZ_CHECK(imap.ok() == in_range(t));
    if (imap) MF_FUZZ_CHECK(oracle_imap_date_time(*imap) == t);
    auto imap_clamped = wrap::imap_date_time(clamped);
    MF_FUZZ_CHECK(imap_clamped.ok() && oracle_imap_date_time(*imap_clamped) == clamped);

    check_iso8601(clamped);
    MF_FUZZ_CHECK(parse_rfc5322_date(rfc5322_of(c)) == clamped);
    auto from = mbox::parse_from_line(mbox::format_from_line("fuzz@example.org", clamped));
    MF_FUZZ_CHECK(from.date && *from.date == clamped);
}

// epoch_from_fields' promise, field by field as its comment lists them.
void check_fields(int year, int month, int day, int hour, int minute, int second, int zone) {
    const int64_t zone_abs = zone < 0 ? -int64_t(zone) : zone;
    const bool valid = year >= 1 && year <= 9999 && month >= 1 && month <= 12 && day >= 1 &&
                       day <= oracle_days_in_month(year, month) && hour >= 0 && hour <= 23 && minute >= 0 &&
                       minute <= 59 && second >= 0 && second <= 60 && zone_abs <= 9959 && zone_abs % 100 <= 59;
    auto t = epoch_from_fields(year, month, day, hour, minute, second, zone);
    MF_FUZZ_CHECK(t.has_value() == valid);
    if (!t) return;
    const int64_t offset = (zone < 0 ? -1 : 1) * ((zone_abs / 100) * 3600 + (zone_abs % 100) * 60);
    int64_t expected = oracle_epoch(year, month, day, hour, minute, second) - offset;
    expected = expected < kEarliestEpoch ? kEarliestEpoch : expected > kLatestEpoch ? kLatestEpoch : expected;
    MF_FUZZ_CHECK(*t == expected);
    check_epoch(*t);
}

void check_parsed(std::optional<int64_t> t) {
    if (!t) return;
    MF_FUZZ_CHECK(in_range(*t));
    check_epoch(*t);
}

}  // namespace

void date_parse_one(const uint8_t* data, size_t size) {
    std::string_view text(reinterpret_cast<const char*>(data), size);
    check_parsed(parse_rfc5322_date(text));
    check_parsed(mbox::parse_from_date(text));
    check_parsed(mbox::parse_from_line(text).date);

    if (size >= 8) check_epoch(int64_at(data));
    if (size >= 28) {
        check_fields(int32_at(data), int32_at(data + 4), int32_at(data + 8), int32_at(data + 12),
                     int32_at(data + 16), int32_at(data + 20), int32_at(data + 24));
        // The same bytes brought near the edges of each range, where the bugs live.
        auto u16 = [&](size_t i) { return int(data[i] | (data[i + 1] << 8)); };
        check_fields(u16(0) % 10002 - 1, data[2] % 14, data[3] % 34 - 1, data[4] % 26 - 1, data[5] % 62 - 1,
                     data[6] % 63 - 1, u16(7) % 20001 - 10000);
    }
}

}  // namespace mailferry::fuzz
