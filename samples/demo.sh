#!/usr/bin/env bash
# The main job on the bundled sample mailbox: a throwaway local Dovecot serves
# samples/mailbox over IMAPS, mailferry fetches it into a cache, then shows the
# cache with `status`. Installs what is missing and builds first.
# Usage: bash samples/demo.sh [CACHE_DIR]   (default: build/sample-cache)
set -euo pipefail
cd "$(dirname "$0")/.."
. tests/deps.sh
mailferry_install_deps

cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build build -j"$(nproc)" --target mailferry

cache=${1:-$PWD/build/sample-cache}
work=$(mktemp -d /tmp/mailferry-demo.XXXXXX)
cleanup() {
    tests/harness/dovecot-harness stop "$work/dovecot" >/dev/null 2>&1 || true
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
echo "The cache is a Maildir++ tree ($cache/mail) plus its index ($cache/index.sqlite):"
echo "any Maildir reader opens it, e.g. mutt -f $cache/mail"
