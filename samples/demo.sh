#!/usr/bin/env bash
# The main job on the bundled sample mailbox: a throwaway local Dovecot serves
# samples/mailbox over IMAPS, mailferry fetches it into a cache and shows it
# with `status`, then replays the cache into a second throwaway Dovecot shaped
# like Exchange Online ("Sent Items", "Deleted Items"...) with the office365
# profile, and lists what arrived there. Installs what is missing and builds first.
# Usage: bash samples/demo.sh [CACHE_DIR]   (default: build/sample-cache)
set -euo pipefail
cd "$(dirname "$0")/.."
. tests/deps.sh
mailferry_install_deps

cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build build -j"$(nproc)" --target mailferry

cache=${1:-$PWD/build/sample-cache}
work=$(mktemp -d /tmp/mailferry-demo.XXXXXX)
# Dovecot's unprivileged processes must reach the harness files inside.
chmod 755 "$work"
cleanup() {
    tests/harness/dovecot-harness stop "$work/dovecot" >/dev/null 2>&1 || true
    tests/harness/dovecot-harness stop "$work/target" >/dev/null 2>&1 || true
    rm -rf "$work"
}
trap cleanup EXIT

echo "== a throwaway Dovecot serving samples/mailbox"
tests/harness/dovecot-harness start "$work/dovecot" --user demo:demo-password >/dev/null
# Git does not keep file times; a Maildir's received dates are its mtimes, and
# the sample's file names begin with them.
cp -r samples/mailbox "$work/sample"
find "$work/sample" -type d -name cur | while read -r cur; do
    mkdir -p "$(dirname "$cur")/new" "$(dirname "$cur")/tmp"
    for f in "$cur"/*; do touch -d "@$(basename "$f" | cut -d. -f1)" "$f"; done
done
tests/harness/dovecot-harness load-maildir "$work/dovecot" demo "$work/sample"
. "$work/dovecot/env"
printf 'demo-password\n' > "$work/password"
chmod 600 "$work/password"

rm -rf "$cache"
echo
echo "== mailferry fetch $cache --from imaps://demo@127.0.0.1:$IMAPS_PORT"
build/mailferry fetch "$cache" --from "imaps://demo@127.0.0.1:$IMAPS_PORT" \
    --password-file "$work/password" --ca-file "$CA_FILE"
echo
echo "== mailferry status $cache"
build/mailferry status "$cache"

echo
echo "== a second throwaway Dovecot, shaped like Exchange Online: the replay target"
tests/harness/dovecot-harness start "$work/target" --shape exchange --user target:target-password >/dev/null
target_port=$(. "$work/target/env"; echo "$IMAPS_PORT")
target_ca=$(. "$work/target/env"; echo "$CA_FILE")
printf 'target-password\n' > "$work/target-password"
chmod 600 "$work/target-password"
echo
echo "== mailferry replay $cache --to imaps://target@127.0.0.1:$target_port --profile office365"
build/mailferry replay "$cache" --to "imaps://target@127.0.0.1:$target_port" --profile office365 \
    --password-file "$work/target-password" --ca-file "$target_ca"
echo
echo "== what the target holds now (mailbox, messages, unseen)"
tests/harness/dovecot-harness status "$work/target" target
echo
echo "== mailferry status $cache (the ledger per target)"
build/mailferry status "$cache" | tail -n 2
echo
echo "The cache is a Maildir++ tree ($cache/mail) plus its index ($cache/index.sqlite):"
echo "any Maildir reader opens it, e.g. mutt -f $cache/mail"
