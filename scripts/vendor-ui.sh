#!/usr/bin/env bash
# Copy the UI's third-party files from the npm registry into the package (no build step and no
# CDN at install or run time): pinned versions, their licences, and SHA256SUMS, which
# tests/ui/test_vendor.py checks. Run it after changing a version below, then commit.
set -euo pipefail
ECHARTS=6.1.0

here=$(cd "$(dirname "$0")/.." && pwd)
vendor="$here/src/loghaven/ui/static/vendor"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir -p "$vendor/licenses"

unpack() {  # unpack <package@version> into $work/<package>
  local dir="$work/${1%@*}"
  mkdir -p "$dir"
  (cd "$work" && npm pack --silent "$1" >/dev/null && tar xzf ./*.tgz -C "$dir" --strip-components=1 && rm ./*.tgz)
}

unpack "echarts@$ECHARTS"
cp "$work/echarts/dist/echarts.esm.min.js" "$vendor/echarts.esm.min.js"
cat "$work/echarts/LICENSE" "$work/echarts/NOTICE" > "$vendor/licenses/echarts-$ECHARTS.txt"

(cd "$vendor" && find . -type f ! -name SHA256SUMS | sort | xargs sha256sum > SHA256SUMS)
echo "vendored into $vendor"
