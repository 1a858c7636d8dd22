#!/usr/bin/env bash
# Copy the UI's third-party files from the npm registry into the package (no build step and no
# CDN at install or run time): pinned versions, their licences, and SHA256SUMS, which
# tests/ui/test_vendor.py checks. Run it after changing a version below, then commit.
set -euo pipefail
ECHARTS=6.1.0
WORLD_ATLAS=2.0.2         # countries-110m: Natural Earth (public domain), ISC package
TOPOJSON_CLIENT=3.1.0     # ISC: TopoJSON -> GeoJSON at vendoring time only
ISO_COUNTRIES=7.14.0      # MIT: ISO 3166-1 numeric -> alpha-2 codes, at vendoring time only

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

# The region map's countries: GeoJSON features named by ISO 3166-1 alpha-2 code (the value
# a geoip processor writes to *.geo.country_iso_code), coordinates rounded to 0.1 degree.
unpack "world-atlas@$WORLD_ATLAS"
unpack "topojson-client@$TOPOJSON_CLIENT"
unpack "i18n-iso-countries@$ISO_COUNTRIES"
node - "$work" "$vendor/world-countries.geo.json" <<'JS'
const [work, out] = process.argv.slice(2);
const fs = require("fs");
const topojson = require(`${work}/topojson-client/dist/topojson-client.js`);
const codes = require(`${work}/i18n-iso-countries/codes.json`);
const alpha2 = Object.fromEntries(codes.map(([a2, , numeric]) => [numeric, a2]));
const topo = JSON.parse(fs.readFileSync(`${work}/world-atlas/countries-110m.json`, "utf8"));
// A ring crossing the antimeridian (Russia, Fiji) would be drawn across the whole map by a
// flat projection: its points on the minority side are pinned to the +-180 meridian. A ring
// around the pole (Antarctica) crosses it an odd number of times and is drawn as it is.
const unwrap = (ring) => {
  const crossings = ring.filter(([x], i) => i && Math.abs(x - ring[i - 1][0]) > 180).length;
  if (crossings === 0 || crossings % 2 === 1) return ring;
  const east = ring.filter(([x]) => x > 0).length >= ring.length / 2;
  return ring.map(([x, y]) => [east ? (x < 0 ? 180 : x) : (x > 0 ? -180 : x), y]);
};
const round = (ring) => unwrap(ring).map(([x, y]) => [Math.round(x * 10) / 10, Math.round(y * 10) / 10])
  .filter((p, i, all) => i === 0 || p[0] !== all[i - 1][0] || p[1] !== all[i - 1][1]);
const features = topojson.feature(topo, topo.objects.countries).features.map((f) => {
  const g = f.geometry;
  const coordinates = g.type === "Polygon" ? g.coordinates.map(round) : g.coordinates.map((p) => p.map(round));
  return { type: "Feature", properties: { name: alpha2[f.id] || f.properties.name, label: f.properties.name },
    geometry: { type: g.type, coordinates } };
});
fs.writeFileSync(out, JSON.stringify({ type: "FeatureCollection", features }));
JS
cat "$work/world-atlas/LICENSE" > "$vendor/licenses/world-atlas-$WORLD_ATLAS.txt"
printf '\nThe map data is Natural Earth (naturalearthdata.com), in the public domain.\n' >> "$vendor/licenses/world-atlas-$WORLD_ATLAS.txt"
cat "$work/topojson-client/LICENSE" > "$vendor/licenses/topojson-client-$TOPOJSON_CLIENT.txt"
cat "$work/i18n-iso-countries/LICENSE" > "$vendor/licenses/i18n-iso-countries-$ISO_COUNTRIES.txt"

(cd "$vendor" && find . -type f ! -name SHA256SUMS | sort | xargs sha256sum > SHA256SUMS)
echo "vendored into $vendor"
