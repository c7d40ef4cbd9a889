#include <catch2/catch.hpp>

#include "mime/message_date.hpp"

using namespace mailferry::mime;

TEST_CASE("the received date: the newest Received header, else Date, else the fallback", "[mime][date]") {
    const std::string both =
        "Received: from b by mx.example.com; Sat, 1 Jan 2000 00:00:10 +0000\r\n"
        "Received: from a by b;\r\n\tSat, 1 Jan 2000 00:00:05 +0000\r\n"
        "Date: Sat, 1 Jan 2000 00:00:00 +0000\r\n\r\nReceived: in the body; Sun, 2 Jan 2000 00:00:00 +0000\r\n";
    auto r = received_date(both, 1);
    CHECK(r.when == 946684810);
    CHECK(std::string(r.from) == "received");
    auto d = received_date("Subject: x\nDate: Sat, 1 Jan 2000 00:00:00 +0000\n\nbody", 1);
    CHECK(d.when == 946684800);
    CHECK(std::string(d.from) == "date");
    auto f = received_date("Subject: no date\n\nReceived: body; Sat, 1 Jan 2000 00:00:00 +0000\n", 42);
    CHECK(f.when == 42);
    CHECK(std::string(f.from) == "fetch");
    CHECK(received_date(std::string("\0\0\0", 3), 7).when == 7);
}
