#!/usr/bin/env bash
# Regenerates the protobuf code and fails when it differs from what is committed.
set -euo pipefail
cd "$(dirname "$0")/.."
npm run generate --silent
if ! git diff --exit-code --stat -- shared/proto/src/gen; then
  echo "generated code is stale: run 'npm run generate' and commit shared/proto/src/gen" >&2
  exit 1
fi
untracked=$(git ls-files --others --exclude-standard -- shared/proto/src/gen)
if [ -n "$untracked" ]; then
  echo "generated files not committed:" >&2
  echo "$untracked" >&2
  exit 1
fi
echo "generated code is up to date"
