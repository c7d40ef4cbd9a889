#!/usr/bin/env bash
# bench_lib.sh: what fetch_bench.sh and replay_bench.sh share.  Not run on its
# own: each script sets PROG (the prefix of its messages) and SCRIPT_DIR, then
# sources this file.  See tests/bench/README.md.
#
# Globals a script sets and these functions read: PROG, W (the work directory),
# KEEP, QUIET_WAIT and the common options (common_defaults, common_option).
# Globals they set for the script: REPO HARNESS GNU_TIME, T_WALL T_CPU T_SYS
# T_RSS (timed), SRV_MESSAGES SRV_BYTES SRV_FOLDERS (mailbox_totals),
# MACHINE_NPROC MACHINE_KERNEL MACHINE_CPU (machine_facts), QUIET_WAITED.
# shellcheck disable=SC2034  # many globals here are only read by the scripts

BENCH_SCRIPT="${BASH_SOURCE[1]}"   # the script that sourced this file (for usage)
REPO="$(cd "$SCRIPT_DIR/../.." && pwd -P)"
HARNESS="$REPO/tests/harness/dovecot-harness"
GNU_TIME=/usr/bin/time
TIMED_PID=""     # the GNU time of the timed run under way, if any
QUIET_WAITED=0   # seconds spent waiting in wait_quiet, in total

# ---------------------------------------------------------------- messages ---
# die MESSAGE: prints "PROG: MESSAGE" on stderr and exits 1.
die() { echo "$PROG: $*" >&2; exit 1; }
# note MESSAGE: prints "PROG: MESSAGE" on stderr.
note() { echo "$PROG: $*" >&2; }
# usage: prints the script's header comment (up to `set -euo`) and exits 2.
usage() { sed -n '2,/^set -euo/p' "$BENCH_SCRIPT" | sed -n 's/^# \{0,1\}//p' >&2; exit 2; }

# ---------------------------------------------------------------- options ---
# common_defaults: sets the defaults of the options both scripts take.
common_defaults() {
    MESSAGES=10000
    RUNS=3
    JSON_FILE=""
    KEEP=0
    SEED=1
    MAILFERRY="${MAILFERRY:-}"
    WORK_PARENT=/tmp
    QUIET_WAIT=0
    CONNECTIONS=""
}

# common_option ARG...: takes one option both scripts know (--messages, --runs,
# --json, --keep, --seed, --mailferry, --workdir, --quiet-wait, --connections,
# --help) from the front of ARG... and sets OPT_ARGS to the number of words it
# used (1 or 2); dies on an option it does not know.
common_option() {
    local opt=$1
    shift
    OPT_ARGS=2
    case $opt in
        --messages) MESSAGES=${1:?--messages needs a value} ;;
        --runs) RUNS=${1:?--runs needs a value} ;;
        --json) JSON_FILE=${1:?--json needs a file} ;;
        --keep) KEEP=1 OPT_ARGS=1 ;;
        --seed) SEED=${1:?--seed needs a value} ;;
        --mailferry) MAILFERRY=${1:?--mailferry needs a path} ;;
        --workdir) WORK_PARENT=${1:?--workdir needs a directory} ;;
        --quiet-wait) QUIET_WAIT=${1:?--quiet-wait needs seconds} ;;
        --connections) CONNECTIONS=${1:?--connections needs a number} ;;
        -h|--help) usage ;;
        *) die "unknown argument '$opt' (--help)" ;;
    esac
}

# check_common_options: dies when --messages, --runs, --seed, --quiet-wait or
# --connections is not a number of the right kind.
check_common_options() {
    [[ $MESSAGES =~ ^[1-9][0-9]*$ ]] || die "--messages must be a positive number"
    [[ $RUNS =~ ^[1-9][0-9]*$ ]] || die "--runs must be a positive number"
    [[ $SEED =~ ^[0-9]+$ ]] || die "--seed must be a number"
    [[ $QUIET_WAIT =~ ^[0-9]+$ ]] || die "--quiet-wait must be a number of seconds"
    [[ -z $CONNECTIONS || $CONNECTIONS =~ ^[1-9][0-9]*$ ]] || die "--connections must be a positive number"
}

# mailferry_connections WORD: sets MF_CONN_ARGS (the --connections to pass to
# mailferry, if any) and MF_CONN_LABEL ("2 WORDs", "1 WORD") for the table.
mailferry_connections() {
    MF_CONN_ARGS=()
    [[ -z $CONNECTIONS ]] || MF_CONN_ARGS=(--connections "$CONNECTIONS")
    MF_CONN_LABEL="${CONNECTIONS:-2} $1$([[ ${CONNECTIONS:-2} == 1 ]] || echo s)"
}

# abs_path PATH: prints PATH with its directory made absolute (links resolved).
abs_path() { echo "$(cd "$(dirname "$1")" && pwd -P)/$(basename "$1")"; }

# ----------------------------------------------------------- dependencies ---
# apt_install PACKAGE...: installs the packages with apt-get (via sudo unless
# root), running apt-get update first if the install fails; dies if it fails.
apt_install() {
    local sudo=""
    if [[ $EUID -ne 0 ]]; then
        command -v sudo >/dev/null || die "need root or sudo to install $*"
        sudo=sudo
    fi
    note "installing $* with apt-get"
    $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -q "$@" >/dev/null 2>&1 \
        || { $sudo apt-get update -q >/dev/null 2>&1 && \
             $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -q "$@" >/dev/null; } \
        || die "apt-get install $* failed"
}

# install_dependencies NEED_MBSYNC: adds the sbin directories to PATH, installs
# GNU time, isync (only if NEED_MBSYNC is 1), Dovecot and openssl when missing,
# and dies without the Dovecot harness.
install_dependencies() {
    PATH="$PATH:/usr/sbin:/sbin"
    [[ -x $GNU_TIME ]] || apt_install time
    if (($1)); then command -v mbsync >/dev/null || apt_install isync; fi
    command -v dovecot >/dev/null || apt_install dovecot-imapd dovecot-pop3d
    command -v openssl >/dev/null || apt_install openssl
    [[ -x $HARNESS ]] || die "$HARNESS not found"
}

# bench_tree: sets MACHINE_TREE to the commit the benchmark runs on, with
# " + changes in src" when src/ or include/ differ from it.
bench_tree() {
    local tree
    tree=$(git -C "$REPO" log -1 --format=%h 2>/dev/null || true)
    [[ -z $tree || -z $(git -C "$REPO" status --porcelain --untracked-files=no -- src include 2>/dev/null) ]] || tree+=" + changes in src"
    MACHINE_TREE=${tree:-unknown}
}

# build_bench TESTS TARGET...: configures build-bench in Release with
# MAILFERRY_TESTS=TESTS (ON or OFF) and builds the targets, quietly.
build_bench() {
    local tests=$1
    shift
    cmake -S "$REPO" -B "$REPO/build-bench" -DCMAKE_BUILD_TYPE=Release -DMAILFERRY_TESTS="$tests" >/dev/null
    cmake --build "$REPO/build-bench" -j"$(nproc)" --target "$@" >/dev/null
}

# mbsync 1.4 matches the certificate against DNS names only (not IP SANs), so
# it is pointed at "localhost" (in the certificate).  That name must resolve to
# 127.0.0.1 (Dovecot and the proxy listen there only), and to nothing but loopback.
# check_localhost: dies unless localhost is 127.0.0.1 (and maybe ::1) only.
check_localhost() {
    local addrs a
    addrs=$(getent ahosts localhost | awk '{ print $1 }' | sort -u | tr '\n' ' ')
    [[ " $addrs" == *" 127.0.0.1 "* ]] || die "localhost does not resolve to 127.0.0.1 ($addrs): mbsync needs it"
    for a in $addrs; do
        [[ $a == 127.0.0.1 || $a == ::1 ]] || die "localhost resolves to $a too, not loopback: refusing to point mbsync at it"
    done
}

# --------------------------------------------------------------- work dir ---
# make_workdir MESSAGES PREFIX: dies unless WORK_PARENT has room for MESSAGES
# messages (about 20 KB each) plus 1 GB, then creates the work directory
# WORK_PARENT/PREFIX.XXXXXX as W.
make_workdir() {
    mkdir -p "$WORK_PARENT"
    local need_msgs=$1 avail_kb
    avail_kb=$(df -Pk "$WORK_PARENT" | awk 'NR == 2 { print $4 }')
    if ((need_msgs * 20 + 1048576 > avail_kb)); then
        die "about $((need_msgs * 20 / 1024)) MB are needed under $WORK_PARENT, $((avail_kb / 1024)) MB are free"
    fi
    W=$(mktemp -d "$WORK_PARENT/$2.XXXXXX")
    # As root, Dovecot's auth (user dovecot) and mail (nobody) processes must reach the server dirs.
    chmod 0755 "$W"
}

# is_pid_of PID WORD: PID is alive and its command line mentions WORD.
is_pid_of() {
    [[ $1 =~ ^[0-9]+$ && -r /proc/$1/cmdline ]] && tr '\0' ' ' <"/proc/$1/cmdline" | grep -q -- "$2"
}

# stop_dovecot DIR PID: stops the harness's Dovecot in DIR, and kills PID if it
# is still a dovecot; nothing when PID is empty (never started).
stop_dovecot() {
    [[ -n $2 ]] || return 0
    "$HARNESS" stop "$1" >/dev/null 2>&1 || true
    if is_pid_of "$2" dovecot; then kill -TERM "$2" 2>/dev/null || true; fi
}

# cleanup: the EXIT trap.  Kills a timed run under way, calls the script's
# stop_servers, removes W (or says where it is kept, with --keep) and exits with
# the script's status.
cleanup() {
    local rc=$?
    trap - EXIT INT TERM
    if [[ -n $TIMED_PID ]]; then  # interrupted during a timed run: the client and its time
        local kids
        kids=$(pgrep -P "$TIMED_PID" 2>/dev/null || true)
        # shellcheck disable=SC2086
        kill -TERM $kids "$TIMED_PID" 2>/dev/null || true
    fi
    stop_servers
    if ((KEEP)); then
        note "kept $W"
    else
        rm -rf "$W"
    fi
    exit "$rc"
}

# install_cleanup: runs cleanup on exit; SIGINT and SIGTERM exit 130 and 143.
install_cleanup() {
    trap cleanup EXIT
    trap 'exit 130' INT
    trap 'exit 143' TERM
}

# ---------------------------------------------------------------- helpers ---
# count_messages DIR: the number of message files of a Maildir / Maildir++ tree.
count_messages() {
    find "$1" -type f \( -path '*/cur/*' -o -path '*/new/*' \) | wc -l
}

# median NUMBER...: the median of the numbers ("n/a" for none; empty ones skipped).
median() {
    printf '%s\n' "$@" | sed '/^$/d' | sort -g | awk '{a[NR]=$1} END {
        if (NR == 0) { print "n/a"; exit }
        if (NR % 2) { print a[(NR+1)/2]; exit }
        m = sprintf("%.3f", (a[NR/2] + a[NR/2+1]) / 2); sub(/0+$/, "", m); sub(/\.$/, "", m); print m }'
}
# ratio A B: A / B with two decimals ("n/a" unless both are numbers and B > 0).
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (a ~ /^[0-9.]+$/ && b ~ /^[0-9.]+$/ && b > 0) printf "%.2f", a / b; else print "n/a" }'; }
# mb KB: KB in MB (MiB) with one decimal ("n/a" if not a number).
mb() { awk -v k="$1" 'BEGIN { if (k ~ /^[0-9.]+$/) printf "%.1f", k / 1024; else print "n/a" }'; }
# mib BYTES: BYTES in MiB with one decimal.
mib() { awk -v b="$1" 'BEGIN { printf "%.1f", b / 1048576 }'; }
# json_array VALUE...: the values as a JSON array, as they are ([1,2,3]).
json_array() { local IFS=,; echo "[$*]"; }
# json_str STRING: STRING as a JSON string (quotes and backslashes escaped).
json_str() { local s=${1//\\/\\\\}; s=${s//\"/\\\"}; printf '"%s"' "$s"; }

# timed COMMAND...: runs COMMAND under GNU time; sets T_WALL T_CPU (user + sys)
# T_SYS T_RSS (KB).  Returns the command's exit status (125 when GNU time left
# no figures).  (In the background + wait, so that a signal stops the benchmark at once.)
timed() {
    local tf="$W/time.out" rc=0
    rm -f "$tf"
    "$GNU_TIME" -o "$tf" -f '%e %U %S %M' "$@" &
    TIMED_PID=$!
    wait "$TIMED_PID" || rc=$?
    TIMED_PID=""
    local e="" u="" s="" m=""
    read -r e u s m < <(tail -n 1 "$tf" 2>/dev/null) || true
    [[ $e =~ ^[0-9.]+$ && $m =~ ^[0-9]+$ ]] || { e=0 u=0 s=0 m=0; ((rc)) || rc=125; }  # no figures: invalid
    T_WALL=$e
    T_CPU=$(awk -v u="$u" -v s="$s" 'BEGIN { printf "%.2f", u + s }')
    T_SYS=$s
    T_RSS=$m
    return "$rc"
}

# ------------------------------------------------------------ quiet CPUs ---
# foreign_cpu [SECONDS]: CPU use of everything else, sampled over 2 s (or
# SECONDS) while this script is idle (its Dovecots wait for clients): prints
# "37%" for 37% of all CPUs busy.
foreign_cpu() {
    local a b
    a=$(awk '/^cpu / { print $2 + $3 + $4 + $7 + $8 + $9, $5 + $6 }' /proc/stat)
    sleep "${1:-2}"
    b=$(awk '/^cpu / { print $2 + $3 + $4 + $7 + $8 + $9, $5 + $6 }' /proc/stat)
    awk -v a="$a" -v b="$b" 'BEGIN { split(a, x, " "); split(b, y, " ");
        busy = y[1] - x[1]; idle = y[2] - x[2];
        printf "%d%%", (busy + idle > 0) ? 100 * busy / (busy + idle) + 0.5 : 0 }'
}
# check_quiet: prints the foreign CPU use (2 s sample); warns when above 10%.
check_quiet() {
    local f
    f=$(foreign_cpu)
    if ((${f%\%} > 10)); then
        note "warning: other work keeps $f of the CPUs busy: expect noisy figures"
    fi
    echo "$f"
}
# wait_quiet: with --quiet-wait S, waits up to S seconds until other work keeps
# less than 15% of the CPUs busy; adds the wait to QUIET_WAITED.
wait_quiet() {
    ((QUIET_WAIT > 0)) || return 0
    local start=$SECONDS f
    while :; do
        f=$(foreign_cpu 1)
        ((${f%\%} < 15)) && break
        if ((SECONDS - start >= QUIET_WAIT)); then
            note "other work still keeps $f of the CPUs busy after ${QUIET_WAIT}s: running anyway"
            break
        fi
    done
    QUIET_WAITED=$((QUIET_WAITED + SECONDS - start))
}

# ---------------------------------------------------------------- servers ---
# generate_messages DIR USER N SEED: adds N generated messages (seed SEED) to
# USER of the harness's Dovecot in DIR; dies if the generator fails.
generate_messages() {
    note "generating $3 messages (seed $4)..."
    local out
    out=$("$HARNESS" gen "$1" "$2" "$3" --seed "$4" 2>&1) || { echo "$out" >&2; die "dovecot-harness gen failed"; }
    note "$out"
}

# mailbox_totals CONF USER: what USER holds on the Dovecot of CONF; sets
# SRV_MESSAGES SRV_BYTES (RFC822.SIZE, CRLF, what travels on the wire) and SRV_FOLDERS.
mailbox_totals() {
    read -r SRV_MESSAGES SRV_BYTES SRV_FOLDERS < <(doveadm -c "$1" -f tab mailbox status -u "$2" \
        "messages vsize" '*' | awk -F'\t' 'NR > 1 { m += $2; b += $3; f++ } END { print m + 0, b + 0, f + 0 }')
}

# mbsync_conf ACCOUNT PORT USER PASSWORD_FILE CA_FILE MAILDIR CHANNEL CREATE SYNC SYNCSTATE:
# prints an mbsync configuration: the IMAPS account at localhost:PORT (store
# "far"), the Maildir MAILDIR (store "near") and one channel of all folders.
mbsync_conf() {
    cat <<EOF
IMAPAccount $1
Host localhost
Port $2
User $3
PassCmd "cat $4"
SSLType IMAPS
CertificateFile $5

IMAPStore far
Account $1

MaildirStore near
Path $6/
Inbox $6/INBOX
SubFolders Verbatim

Channel $7
Far :far:
Near :near:
Patterns *
Create $8
Sync $9
SyncState ${10}
EOF
}

# check_mailferry_fetch RC JSON ERR: dies (showing ERR, and JSON) unless the
# mailferry fetch that wrote JSON and ERR exited with RC 0 and reported ok.
check_mailferry_fetch() {
    if (($1)); then
        cat "$3" >&2
        die "mailferry fetch exited with status $1"
    fi
    grep -q '"ok": true' "$2" || { cat "$2" "$3" >&2; die "mailferry fetch did not report ok"; }
}

# ----------------------------------------------------------------- report ---
# machine_facts: sets MACHINE_NPROC MACHINE_KERNEL MACHINE_CPU and prints the
# "machine:" line.
machine_facts() {
    local cpu
    cpu=$(awk -F': ' '/^model name/ { print $2; exit }' /proc/cpuinfo 2>/dev/null || true)
    MACHINE_NPROC=$(nproc)
    MACHINE_KERNEL=$(uname -r)
    MACHINE_CPU=${cpu:-unknown}
    echo "machine:   nproc $MACHINE_NPROC, kernel $MACHINE_KERNEL, $MACHINE_CPU"
}
# json_machine: the machine facts as a JSON object (after machine_facts).
json_machine() {
    echo "{\"nproc\": $MACHINE_NPROC, \"kernel\": $(json_str "$MACHINE_KERNEL"), \"cpu\": $(json_str "$MACHINE_CPU")}"
}
# other_cpu_line NOTE: prints the "other CPU:" line from LOAD_START and
# LOAD_END, NOTE (empty, or such as "per size; ") before the explanation.
other_cpu_line() {
    echo "other CPU: $LOAD_START before, $LOAD_END after the runs (${1}busy share of all CPUs, 2 s samples)$( ((QUIET_WAIT)) && echo "; waited ${QUIET_WAITED}s for quiet")"
}
