#!/usr/bin/env python3
"""watch_bench.py: the test's own side of watch_bench.sh (not the product).

Three small tools, standard library only:

  deliver  hands N generated messages, each with a unique Message-ID, to an
           MTA's delivery command (dovecot-lda) at a fixed rate, and records
           when each delivery started and ended (and, with --pid, the RSS of
           that process right after each one).
  poll     asks a target's INBOX (imaplib over TLS) every few tens of
           milliseconds whether new messages arrived, and records when each
           Message-ID was first seen.
  report   joins the two records into latencies (p50, p95, max), sums up the
           RSS samples and the watch's --json pass lines; prints KEY=VALUE
           lines for the shell script.

See tests/bench/README.md (watch_bench.sh).
"""

import argparse
import concurrent.futures
import imaplib
import json
import math
import os
import re
import signal
import ssl
import subprocess
import sys
import threading
import time

# ------------------------------------------------------------- messages ---
WORDS = ("cutover mailbox ledger replay target source folder message archive "
         "window deliver queue server client session idle pass fetch cache "
         "index header body quota flag draft answer forward meeting invoice").split()


def message_id(tag, n):
    return "<wb.%s.%d@watch-bench.invalid>" % (tag, n)


def make_message(tag, n):
    """A plain-text message of about 2-6 KB, deterministic for (tag, n)."""
    lines = []
    seed = n * 7919 + 17
    for i in range(30 + n % 60):
        seed = (seed * 1103515245 + 12345) & 0x7FFFFFFF
        k = 8 + seed % 8
        lines.append(" ".join(WORDS[(seed >> (j % 16)) % len(WORDS)] for j in range(k)))
    date = time.strftime("%a, %d %b %Y %H:%M:%S +0000", time.gmtime())
    head = (
        "Return-Path: <sender@127.0.0.1>\n"
        "From: Bench Sender <sender%d@watch-bench.invalid>\n"
        "To: Watched Mailbox <source@watch-bench.invalid>\n"
        "Subject: watch bench %s message %d\n"
        "Date: %s\n"
        "Message-ID: %s\n"
        "MIME-Version: 1.0\n"
        "Content-Type: text/plain; charset=us-ascii\n"
        "\n" % (n % 50, tag, n, date, message_id(tag, n))
    )
    return (head + "\n".join(lines) + "\n").encode("ascii")


def proc_memory_kb(pid):
    """(VmRSS, VmHWM) of pid in KB, or (None, None) once it is gone."""
    rss = hwm = None
    try:
        with open("/proc/%d/status" % pid) as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    rss = int(line.split()[1])
                elif line.startswith("VmHWM:"):
                    hwm = int(line.split()[1])
    except OSError:
        pass
    return rss, hwm


# -------------------------------------------------------------- deliver ---
def cmd_deliver(a):
    """Deliveries start on a fixed schedule (t0 + i / rate) whatever the
    previous one took, as mail reaches an MTA: each runs in a worker thread
    (at most --max-inflight at once), so one slow dovecot-lda does not push
    back all later ones.  The delivery time is when dovecot-lda exited: the
    message is in the mailbox by then."""
    if not a.command:
        sys.exit("deliver: no delivery command after --")
    rows = [None] * a.count
    lock = threading.Lock()

    def one(n, scheduled, body):
        start = time.time()
        try:
            p = subprocess.run(a.command, input=body, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
            rc, err = p.returncode, p.stderr.decode(errors="replace").strip()
        except OSError as e:
            rc, err = -1, str(e)
        end = time.time()
        rss, hwm = proc_memory_kb(a.pid) if a.pid else (None, None)
        with lock:
            rows[n - 1] = (n, message_id(a.tag, n), scheduled, start, end, rc, rss, hwm)
        if rc != 0:
            sys.stderr.write("deliver: message %d: exit %d: %s\n" % (n, rc, err))

    t0 = time.time() + 0.2
    with concurrent.futures.ThreadPoolExecutor(max_workers=a.max_inflight) as pool:
        for n in range(1, a.count + 1):
            scheduled = t0 + (n - 1) / a.rate
            body = make_message(a.tag, n)
            delay = scheduled - time.time()
            if delay > 0:
                time.sleep(delay)
            pool.submit(one, n, scheduled, body)
    with open(a.out, "w") as f:
        f.write("n\tmessage_id\tscheduled\tstart\tend\trc\trss_kb\thwm_kb\n")
        for r in rows:
            f.write("\t".join("" if v is None else (("%.6f" % v) if isinstance(v, float) else str(v))
                              for v in r) + "\n")
    failed = sum(1 for r in rows if r[5] != 0)
    return 1 if failed else 0


# ----------------------------------------------------------------- poll ---
FETCH_UID = re.compile(rb"UID (\d+)")
HEADER_MID = re.compile(rb"^Message-ID:[ \t]*(<[^>\r\n]*>)", re.I | re.M)


def cmd_poll(a):
    """NOOP every --interval ms (a command makes Dovecot look at the mailbox
    again and report new messages as EXISTS); when EXISTS grew, fetch the
    Message-IDs of the new UIDs.  A message counts as seen when the NOOP
    that revealed it returned: the latency measured is an upper bound, at
    most one interval (plus a round trip) late."""
    stop = []
    signal.signal(signal.SIGTERM, lambda *_: stop.append(1))
    signal.signal(signal.SIGINT, lambda *_: stop.append(1))
    parent = os.getppid()
    ctx = ssl.create_default_context(cafile=a.ca)
    imap = imaplib.IMAP4_SSL("127.0.0.1", a.port, ssl_context=ctx)
    with open(a.password_file) as f:
        imap.login(a.user, f.read().strip())
    typ, data = imap.select("INBOX", readonly=True)
    exists = int(data[0])
    typ, data = imap.uid("SEARCH", "ALL")
    uids = [int(u) for u in data[0].split()] if data and data[0] else []
    last_uid = max(uids) if uids else 0
    out = open(a.out, "w", buffering=1)
    out.write("message_id\tseen\tuid\n")
    if a.ready:
        with open(a.ready, "w") as f:
            f.write("%d\n" % last_uid)
    interval = a.interval / 1000.0
    polls = 0
    while not stop and os.getppid() == parent:
        began = time.time()
        imap.noop()
        seen = time.time()
        polls += 1
        typ, grew = imap.response("EXISTS")
        counts = [int(x) for x in grew if x is not None] if grew else []
        if counts and max(counts) > exists:
            exists = max(counts)
            typ, data = imap.uid("FETCH", "%d:*" % (last_uid + 1),
                                 "(UID BODY.PEEK[HEADER.FIELDS (MESSAGE-ID)])")
            for item in data or []:
                if not isinstance(item, tuple):
                    continue
                m = FETCH_UID.search(item[0])
                if not m:
                    continue
                uid = int(m.group(1))
                if uid <= last_uid:  # "n:*" always names the last message
                    continue
                mid = HEADER_MID.search(item[1] or b"")
                out.write("%s\t%.6f\t%d\n" % (mid.group(1).decode(errors="replace") if mid else "-", seen, uid))
                last_uid = max(last_uid, uid)
        left = began + interval - time.time()
        if left > 0:
            time.sleep(left)
    out.close()
    try:
        imap.logout()
    except (imaplib.IMAP4.error, OSError):
        pass
    sys.stderr.write("poll: %d polls\n" % polls)
    return 0


# --------------------------------------------------------------- report ---
def percentile(sorted_values, p):
    """Nearest rank: the smallest value with at least p% of them at or below it."""
    if not sorted_values:
        return None
    k = max(1, math.ceil(p / 100.0 * len(sorted_values)))
    return sorted_values[k - 1]


def read_tsv(path):
    with open(path) as f:
        header = f.readline().rstrip("\n").split("\t")
        return [dict(zip(header, line.rstrip("\n").split("\t"))) for line in f if line.strip()]


def cmd_report(a):
    out = {}
    deliveries = read_tsv(a.deliveries)
    seen = {}
    for r in read_tsv(a.seen):
        seen.setdefault(r["message_id"], float(r["seen"]))  # first sighting
    ok = [d for d in deliveries if d["rc"] == "0"]
    lat = sorted(seen[d["message_id"]] - float(d["end"]) for d in ok if d["message_id"] in seen)
    out["delivered"] = len(ok)
    out["failed_deliveries"] = len(deliveries) - len(ok)
    out["seen"] = len(lat)
    out["missing"] = len(ok) - len(lat)
    for name, p in (("p50", 50), ("p95", 95), ("p99", 99)):
        out["latency_" + name] = percentile(lat, p)
    out["latency_min"] = lat[0] if lat else None
    out["latency_max"] = lat[-1] if lat else None
    out["latency_mean"] = sum(lat) / len(lat) if lat else None
    if deliveries:
        starts = [float(d["start"]) for d in deliveries]
        ends = [float(d["end"]) for d in deliveries]
        lda = sorted(e - s for s, e in zip(starts, ends))
        lag = sorted(float(d["start"]) - float(d["scheduled"]) for d in deliveries)
        span = max(starts) - min(starts)
        out["rate_achieved"] = (len(deliveries) - 1) / span if span > 0 else None
        out["lda_p50"] = percentile(lda, 50)
        out["lda_max"] = lda[-1]
        out["start_lag_max"] = lag[-1]
        out["deliveries_seconds"] = max(ends) - min(starts)
    # RSS right after the first and the last hundred deliveries.
    def rss_of(rows):
        rss = [int(d["rss_kb"]) for d in rows if d.get("rss_kb")]
        hwm = [int(d["hwm_kb"]) for d in rows if d.get("hwm_kb")]
        return (max(rss) if rss else None, max(hwm) if hwm else None)
    first, last = deliveries[:100], deliveries[-100:]
    out["rss_first100_max_kb"], out["hwm_first100_kb"] = rss_of(first)
    out["rss_last100_max_kb"], out["hwm_last100_kb"] = rss_of(last)
    if a.watch_json:
        # The watch's pass lines from --from-line on (1-based; the passes
        # during the deliveries, when the script says where they began).
        passes = []
        with open(a.watch_json) as f:
            for i, line in enumerate(f, 1):
                if i < a.from_line or (a.to_line and i > a.to_line):
                    continue
                try:
                    j = json.loads(line)
                except ValueError:
                    continue
                if j.get("event") == "pass":
                    passes.append(j)
        secs = sorted(float(p.get("seconds", 0)) for p in passes)
        out["passes"] = len(passes)
        out["passes_change"] = sum(1 for p in passes if p.get("woken_by") == "change")
        out["passes_poll"] = sum(1 for p in passes if p.get("woken_by") in ("poll", "retry"))
        out["passes_failed"] = sum(1 for p in passes if "error" in p)
        out["pass_p50_s"] = percentile(secs, 50)
        out["pass_max_s"] = secs[-1] if secs else None
        # The two halves of a pass by their own clocks; the rest of a pass is
        # opening its connections and recording it in the cache.
        out["pass_fetch_p50_s"] = percentile(sorted(float(p["fetch"].get("seconds", 0)) for p in passes), 50)
        out["pass_replay_p50_s"] = percentile(
            sorted(float(p["replay"].get("seconds", 0)) for p in passes if p.get("replay")), 50)
    for k, v in out.items():
        if v is None:
            v = "n/a"
        elif isinstance(v, float):
            v = "%.3f" % v
        print("%s=%s" % (k, v))
    return 0


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = ap.add_subparsers(dest="cmd", required=True)
    d = sub.add_parser("deliver")
    d.add_argument("--count", type=int, required=True)
    d.add_argument("--rate", type=float, required=True)
    d.add_argument("--tag", required=True)
    d.add_argument("--out", required=True)
    d.add_argument("--pid", type=int, default=0, help="sample this process's RSS after each delivery")
    d.add_argument("--max-inflight", type=int, default=4)
    d.add_argument("command", nargs=argparse.REMAINDER, help="-- the delivery command (message on stdin)")
    p = sub.add_parser("poll")
    p.add_argument("--port", type=int, required=True)
    p.add_argument("--user", required=True)
    p.add_argument("--password-file", required=True)
    p.add_argument("--ca", required=True)
    p.add_argument("--out", required=True)
    p.add_argument("--ready", help="written once the baseline is taken")
    p.add_argument("--interval", type=float, default=50, help="milliseconds between polls")
    r = sub.add_parser("report")
    r.add_argument("--deliveries", required=True)
    r.add_argument("--seen", required=True)
    r.add_argument("--watch-json")
    r.add_argument("--from-line", type=int, default=1)
    r.add_argument("--to-line", type=int, default=0)
    a = ap.parse_args()
    if a.cmd == "deliver":
        if a.command and a.command[0] == "--":
            a.command = a.command[1:]
        return cmd_deliver(a)
    if a.cmd == "poll":
        return cmd_poll(a)
    return cmd_report(a)


if __name__ == "__main__":
    sys.exit(main())
