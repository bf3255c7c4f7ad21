#!/usr/bin/env bash
# A token is an identity: with the stand-in started once as a process of
# its own, a second run of the coin_toss example reaches the instance its
# first run created and kept (same token, from the token file).
set -euo pipefail
cd "$(dirname "$0")/.."

cargo build --quiet -p rxinfer-stand-in --bin rxinfer-stand-in
cargo build --quiet --example coin_toss
target_dir=$(cargo metadata --format-version 1 --no-deps | python3 -c 'import json,sys; print(json.load(sys.stdin)["target_directory"])')

work=$(mktemp -d)
server_pid=""
cleanup() {
    if [ -n "$server_pid" ]; then kill "$server_pid" 2>/dev/null || true; fi
    rm -rf "$work"
}
trap cleanup EXIT

"$target_dir/debug/rxinfer-stand-in" --port 0 > "$work/server.out" 2>&1 &
server_pid=$!
for _ in $(seq 50); do
    [ -s "$work/server.out" ] && break
    sleep 0.1
done
url=$(head -n 1 "$work/server.out")
case "$url" in
    http://127.0.0.1:*) ;;
    *) echo "second-run: the stand-in did not start: $(cat "$work/server.out")" >&2; exit 1 ;;
esac

run() {
    env -u RXINFER_TOKEN -u BEARER_TOKEN RXINFER_SERVER_URL="$url" \
        RXINFER_TOKEN_FILE="$work/tokens.json" "$target_dir/debug/examples/coin_toss"
}
run > "$work/first.out"
run > "$work/second.out"

created=$(sed -n 's/^created instance \([0-9a-f-]*\)$/\1/p' "$work/first.out")
reused=$(sed -n 's/^reusing instance \([0-9a-f-]*\), kept by an earlier run$/\1/p' "$work/second.out")
if [ -z "$created" ] || [ "$created" != "$reused" ]; then
    echo "second-run: the second run did not reach the first run's instance" >&2
    echo "--- first run"; cat "$work/first.out"; echo "--- second run"; cat "$work/second.out"
    exit 1
fi
mode=$(stat -c %a "$work/tokens.json")
if [ "$mode" != "600" ]; then
    echo "second-run: the token file has mode $mode, not 600" >&2
    exit 1
fi
echo "second-run: the second run reached instance $created, kept by the first (token file mode $mode)"
