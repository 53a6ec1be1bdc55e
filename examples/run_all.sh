#!/usr/bin/env bash
# Builds the examples once, then runs every one in emulator mode (no AZURE_* variables),
# failing on the first non-zero exit or on a run longer than 10 seconds.
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --quiet --examples -p msal-examples
target="${CARGO_TARGET_DIR:-target}"
examples=(username_password device_code interactive_browser auth_code_web client_secret
          client_certificate on_behalf_of managed_identity default_credential sdk_client)
unset AZURE_TENANT_ID AZURE_CLIENT_ID AZURE_USERNAME AZURE_PASSWORD AZURE_CLIENT_SECRET \
      AZURE_CLIENT_CERTIFICATE_PATH AZURE_USER_ASSERTION AZURE_AUTHORITY_HOST
cache_dir="$(mktemp -d)"
trap 'rm -rf "$cache_dir"' EXIT
run() {
    local name="$1"; shift
    local start end
    start=$(date +%s%N)
    if ! timeout 10 "$target/debug/examples/$name" "$@" >"$cache_dir/out.txt" 2>&1; then
        cat "$cache_dir/out.txt"
        echo "FAILED: $name $* (non-zero exit or over 10 s)" >&2
        exit 1
    fi
    end=$(date +%s%N)
    printf '%-22s ok  %5d ms  %s\n' "$name" $(((end - start) / 1000000)) "$*"
}
for name in "${examples[@]}"; do
    run "$name"
done
# The persisted cache: the second run signs in silently.
run username_password --cache-file "$cache_dir/cache"
run username_password --cache-file "$cache_dir/cache"
grep -q "Signed in silently" "$cache_dir/out.txt" || { echo "second run was not silent" >&2; exit 1; }
# get_token: a JSON error and exit 1 when --silent-only finds nothing.
if "$target/debug/examples/get_token" --flow client-secret --authority https://127.0.0.1:9/t \
    --client-id c --scope s/.default --cache-file "$cache_dir/none.json" --silent-only \
    2>"$cache_dir/err.json"; then
    echo "get_token --silent-only succeeded on an empty cache" >&2; exit 1
fi
grep -q '"error":"cache_miss"' "$cache_dir/err.json" || { cat "$cache_dir/err.json"; exit 1; }
printf '%-22s ok  (--silent-only on an empty cache: exit 1, JSON error)\n' get_token
echo "all examples passed"
