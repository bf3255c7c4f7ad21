#!/usr/bin/env bash
# Lists what `cargo package` would publish for each crate and fails if
# anything but sources (tests included), manifests, READMEs, the changelog
# and licences is in it. Cargo itself adds a Cargo.lock it generates (since Rust 1.84); that
# one is allowed, the repository's is never copied in.
set -euo pipefail
cd "$(dirname "$0")/.."

allowed='^(\.cargo_vcs_info\.json|Cargo\.toml|Cargo\.toml\.orig|Cargo\.lock|README\.md|CHANGELOG\.md|LICENSE-MIT|LICENSE-APACHE|(src|tests)/.*\.rs)$'
status=0
for package in rxinfer-models rxinfer-transport rxinfer-api-core rxinfer-auth-api \
    rxinfer-server-api rxinfer-models-api rxinfer-stand-in rxinfer-client; do
    files=$(cargo package --list --allow-dirty --quiet -p "$package")
    unexpected=$(grep -Ev "$allowed" <<<"$files" || true)
    if [ -n "$unexpected" ]; then
        echo "FAIL  $package would publish: $unexpected"
        status=1
    else
        echo "ok    $package: $(wc -l <<<"$files") files"
    fi
done
exit $status
