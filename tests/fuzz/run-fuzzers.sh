#!/usr/bin/env bash
# Runs the libFuzzer targets one after the other (README.md here), each for
# N seconds (default 600), under nice: the dev machines are shared.
#   tests/fuzz/run-fuzzers.sh [--seconds N] [TARGET...]
# Builds the fuzz build (clang-14) when needed, seeds each target from the
# generated corpus (tests/corpus/make-corpus, made into the scratch directory)
# and, when it is at hand, the real-mail corpus (copies, never the corpora
# themselves), and keeps the working corpora, crash artifacts and logs in a
# scratch directory outside the repository.
# Prints per target the executions and whether it crashed; exits 1 if one did.
#
# Environment: MAILFERRY_FUZZ_BUILD (default <source>/build-fuzz),
# MAILFERRY_FUZZ_SCRATCH (default <source>/../fuzz-scratch),
# MAILFERRY_CORPUS (the real-mail corpus, optional: default
# <source>/../shared/corpus/dev, as the tests; seeds from it too when present).
set -euo pipefail

SOURCE_DIR=$(cd "$(dirname "$0")/../.." && pwd)
BUILD_DIR=${MAILFERRY_FUZZ_BUILD:-$SOURCE_DIR/build-fuzz}
SCRATCH=${MAILFERRY_FUZZ_SCRATCH:-$(dirname "$SOURCE_DIR")/fuzz-scratch}
REAL_CORPUS=${MAILFERRY_CORPUS:-$SOURCE_DIR/../shared/corpus/dev}
GENERATED_CORPUS=$SCRATCH/generated-corpus
ALL_TARGETS=(mbox_reader maildir_name mime_text mutf7 server_reply folder_map
             date_parse flags append_command long_line_repair)

seconds=600
targets=()
while [ $# -gt 0 ]; do
    case "$1" in
    --seconds) seconds=$2; shift 2 ;;
    -h|--help) sed -n '2,15p' "$0"; exit 0 ;;
    *) targets+=("$1"); shift ;;
    esac
done
[ ${#targets[@]} -gt 0 ] || targets=("${ALL_TARGETS[@]}")
# The generated corpus is always there (made here, deterministic); the real one is a bonus.
mkdir -p "$SCRATCH"
python3 "$SOURCE_DIR/tests/corpus/make-corpus" --out "$GENERATED_CORPUS"
CORPORA=("$GENERATED_CORPUS")
if [ -d "$REAL_CORPUS" ]; then
    CORPORA+=("$REAL_CORPUS")
else
    echo "no real-mail corpus at $REAL_CORPUS: seeding from the generated corpus only" >&2
fi

if [ ! -f "$BUILD_DIR/CMakeCache.txt" ]; then
    CC=clang-14 CXX=clang++-14 cmake -S "$SOURCE_DIR" -B "$BUILD_DIR" -DMAILFERRY_FUZZ=ON \
        -DMAILFERRY_TESTS=OFF -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
fi
# -j1: the machines are shared, and a fuzz build is not worth slowing others down.
nice -n 10 cmake --build "$BUILD_DIR" --target fuzzers -j1 >/dev/null

# --- seeds: copies or things derived from the corpora, one file each --------

# Every regular file under the given folders of each corpus, copied flat.
copy_files() {
    local out=$1; shift
    for corpus in "${CORPORA[@]}"; do
        for dir in "$@"; do
            [ -d "$corpus/$dir" ] || continue
            find "$corpus/$dir" -type f -print0 | while IFS= read -r -d '' f; do
                cp "$f" "$out/$(echo "$f" | cksum | cut -d' ' -f1)"
            done
        done
    done
}

# One seed per line of stdin.
lines_to_seeds() {
    local out=$1 i=0
    while IFS= read -r line; do
        i=$((i + 1)); printf '%s' "$line" >"$out/line$i"
    done
}

maildir_message_files() {
    for corpus in "${CORPORA[@]}"; do
        find "$corpus/maildir" -type f \( -path '*/cur/*' -o -path '*/new/*' \) | sort
    done
}
maildirpp_folders() {
    for corpus in "${CORPORA[@]}"; do
        find "$corpus/maildir/dovecot-maildirpp" -mindepth 1 -maxdepth 1 -type d -name '.*' -printf '%f\n'
    done
}

seed_mbox_reader() {
    copy_files "$1" mbox
    # The gzip path: a few small mbox files compressed.
    for corpus in "${CORPORA[@]}"; do
        find "$corpus/mbox" -type f -name '*.mbox' -size -64k | sort | sed -n "1,5p" | while read -r f; do
            gzip -c "$f" >"$1/gz-$(echo "$f" | cksum | cut -d' ' -f1).gz"
        done
    done
}

seed_mime_text() {
    copy_files "$1" eml malformed
    maildir_message_files | sed -n "1,200p" | while read -r f; do cp "$f" "$1/maildir-$(echo "$f" | cksum | cut -d' ' -f1)"; done
}

seed_maildir_name() {
    { maildir_message_files | xargs -d "\n" -n 1 basename | sed -n "1,300p"; maildirpp_folders; } | lines_to_seeds "$1"
}

seed_mutf7() {
    # Folder levels as Dovecot wrote them (modified UTF-7), listescape undone.
    maildirpp_folders | tr '.' '\n' | sed -e 's/\\2e/./g' | grep -v '^$' | sort -u | lines_to_seeds "$1"
    printf 'Überächt' >"$1/utf8-1"; printf 'Отправленные/日本語 😀' >"$1/utf8-2"
}

seed_server_reply() {
    # POP3 answers made of corpus messages: a LIST, then the message as RETR
    # sends it (dot-stuffed, CRLF), then a UIDL answer made of Maildir keys.
    local i=0
    maildir_message_files | sed -n "1,30p" | while read -r f; do
        i=$((i + 1))
        { printf '1 %s\r\n2 120\r\n.\r\n' "$(stat -c %s "$f")"
          sed -e 's/^\./../' -e 's/$/\r/' "$f"; printf '.\r\n'
        } >"$1/pop3-$i"
    done
    maildir_message_files | sed -n "1,40p" | xargs -d "\n" -n 1 basename | sed 's/[:!]2,.*//' |
        awk '{ printf "%d %s\r\n", NR, $0 } END { printf ".\r\n" }' >"$1/uidl"
    # IMAP lines as Dovecot and Exchange send them to APPEND and AUTHENTICATE.
    printf 'mf1 OK [APPENDUID 38505 3955] APPEND completed\r\n' >"$1/appenduid"
    printf '* 3 EXISTS\r\nmf2 NO [OVERQUOTA] Quota exceeded\r\nmf3 BAD\r\n' >"$1/tagged"
    printf '+ eyJzdGF0dXMiOiI0MDEiLCJzY2hlbWVzIjoiQmVhcmVyIn0=\r\nmfauth NO AUTHENTICATE failed.\r\n' >"$1/sasl"
}

seed_folder_map() {
    # A map from every folder of the corpora's Maildir++ trees.
    maildirpp_folders | sed -e 's/^\.//' -e 's/\./\//g' -e 's/\\2e/./g' |
        while read -r name; do printf '%s = Archive/%s\n' "$name" "$name"; done >"$1/maildirpp.map"
    printf '# comment\n\nSent = Sent Items\nINBOX.Trash = Deleted Items\n' >"$1/small.map"
}

seed_date_parse() {
    # Date: values of corpus messages, and the forms the parser knows.
    { for corpus in "${CORPORA[@]}"; do
          find "$corpus/eml" "$corpus/maildir" -type f -size -256k 2>/dev/null | sort | sed -n "1,300p" |
              { xargs -d "\n" grep -h -i -m1 -a '^Date:' 2>/dev/null || true; } | sed -e 's/^[^:]*: *//' -e 's/\r$//'
      done | sort -u | sed -n "1,200p"
      printf '%s\n' 'Tue, 1 Jul 2003 10:52:37 +0200' 'Fri Dec 31 23:59:59 9999' '1 Jan 0001 00:00:00 +0100' \
          '31 Dec 9999 23:59:59 -9959' 'Mon, 29 Feb 2016 12:00:60 GMT (leap second)' '01 Jan 70 00:00 EST' \
          'Thu Jan  1 00:00:00 1970' '17-Jul-1996 02:44:25 -0700'
    } | lines_to_seeds "$1"
}

seed_flags() {
    # dovecot-keywords files, X-Keywords: values and flag lists.
    for corpus in "${CORPORA[@]}"; do
        find "$corpus/maildir" -type f -name dovecot-keywords 2>/dev/null | sort | while read -r f; do
            cp "$f" "$1/dovecot-keywords-$(echo "$f" | cksum | cut -d' ' -f1)"
        done
    done
    { for corpus in "${CORPORA[@]}"; do
          find "$corpus/mbox" -type f -size -4M 2>/dev/null | sort |
              { xargs -d "\n" grep -h -i -a '^X-Keywords:' 2>/dev/null || true; } | sed -e 's/^[^:]*: *//' -e 's/\r$//'
      done | sort -u | sed -n "1,100p"
      printf '%s\n' '\Seen \Answered \Flagged \Deleted \Draft $Forwarded $Label1 Wichtig' '\Recent $MDNSent' \
          'a(b c)d {5} x%y * "q" back\slash ]end [ok]'
    } | lines_to_seeds "$1"
}

seed_append_command() {
    # 8 bytes of date (little-endian epoch seconds), the folder, NUL, the flags.
    printf '\x00\x8d\x5f\x65\x00\x00\x00\x00INBOX\x00\\Seen \\Answered $Label' >"$1/plain"
    printf '\x00\x8d\x5f\x65\x00\x00\x00\x00Archive/&AMQ-rger "2024"\x00\\Flagged Wichtig' >"$1/quoted"
    printf '\x00\x00\x00\x00\x00\x00\x00\x80Sent Items\x00\\Draft' >"$1/before-year-1"
    printf '\xff\xff\xff\xff\xff\xff\xff\x7fInbox\r\n\x00a)b' >"$1/crlf-and-paren"
}

seed_long_line_repair() {
    # Corpus messages behind a limit byte, and a few with lines of 300 bytes.
    local line
    line=$(head -c 300 /dev/zero | tr '\0' 'x')
    for corpus in "${CORPORA[@]}"; do
        find "$corpus/eml" "$corpus/malformed" -type f -size -64k 2>/dev/null | sort | sed -n "1,150p" | while read -r f; do
            { printf '\x40'; cat "$f"; } >"$1/eml-$(echo "$f" | cksum | cut -d' ' -f1)"
        done
    done
    printf '\x00Subject: %s\r\n\r\n%s\r\n' "$line" "$line" >"$1/text"
    printf '\x00Content-Type: multipart/mixed; boundary="b"\r\n\r\npre\r\n--b\r\nContent-Type: application/x\r\n\r\n%s\r\n--b\r\nContent-Transfer-Encoding: base64\r\n\r\n%s\r\n--b--\r\n' "$line" "$line" >"$1/multipart"
    printf '\x00Content-Type: message/rfc822\r\n\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n%s\r\n' "$line" >"$1/nested-qp"
}

max_len_of() {
    case "$1" in
    mbox_reader|mime_text) echo 1048576 ;;  # most corpus messages are far below; larger ones are cut
    server_reply|long_line_repair) echo 262144 ;;
    *) echo 4096 ;;                          # names and map files
    esac
}

# --- runs -------------------------------------------------------------------
export ASAN_OPTIONS="detect_leaks=1"
export LSAN_OPTIONS="suppressions=$SOURCE_DIR/tests/lsan.supp:print_suppressions=0"
export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1"

status=0
printf '%-14s %12s  %s\n' target executions result
for t in "${targets[@]}"; do
    bin="$BUILD_DIR/fuzz/${t}_fuzz"
    [ -x "$bin" ] || { echo "unknown target $t (one of: ${ALL_TARGETS[*]})" >&2; exit 2; }
    work="$SCRATCH/$t"
    mkdir -p "$work/corpus" "$work/seeds" "$work/artifacts"
    [ -n "$(ls -A "$work/seeds")" ] || "seed_$t" "$work/seeds"
    log="$work/run-$(date +%Y%m%d-%H%M%S).txt"
    rc=0
    nice -n 10 "$bin" -max_total_time="$seconds" -print_final_stats=1 -rss_limit_mb=2048 \
        -max_len="$(max_len_of "$t")" -timeout=20 -artifact_prefix="$work/artifacts/" \
        "$work/corpus" "$work/seeds" >"$log" 2>&1 || rc=$?
    execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
    if [ "$rc" -eq 0 ]; then
        result="no crash"
    else
        status=1
        result="CRASHED (exit $rc): $(ls -t "$work/artifacts" | head -1), log $log"
    fi
    printf '%-14s %12s  %s\n' "$t" "${execs:-?}" "$result"
done
exit $status
