// Copies the dashboard's third-party assets from node_modules into the Python
// package (src/ceasefire/web/static/vendor), so that `pip install` alone serves a
// working page and no request ever leaves the server. The world outlines are
// Natural Earth 1:50m countries (world-atlas), turned from TopoJSON into GeoJSON
// here so the page needs no TopoJSON client.
import { cpSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { feature } from "topojson-client";

const out = "../src/ceasefire/web/static/vendor";
rmSync(out, { recursive: true, force: true });
mkdirSync(`${out}/leaflet`, { recursive: true });
mkdirSync(`${out}/markercluster`, { recursive: true });
cpSync("node_modules/leaflet/dist/leaflet.js", `${out}/leaflet/leaflet.js`);
cpSync("node_modules/leaflet/dist/leaflet.css", `${out}/leaflet/leaflet.css`);
cpSync("node_modules/leaflet/dist/images", `${out}/leaflet/images`, { recursive: true });
cpSync("node_modules/leaflet/LICENSE", `${out}/leaflet/LICENSE`);
for (const f of ["leaflet.markercluster.js", "MarkerCluster.css", "MarkerCluster.Default.css"]) {
  cpSync(`node_modules/leaflet.markercluster/dist/${f}`, `${out}/markercluster/${f}`);
}
cpSync("node_modules/leaflet.markercluster/MIT-LICENCE.txt", `${out}/markercluster/LICENSE`);
const topo = JSON.parse(readFileSync("node_modules/world-atlas/countries-50m.json", "utf8"));
const world = feature(topo, topo.objects.countries);
// 4 decimals (~10 m) is finer than a 1:50m outline; it halves the file.
const round = (c) => (typeof c[0] === "number" ? c.map((x) => Math.round(x * 1e4) / 1e4) : c.map(round));
for (const f of world.features) f.geometry.coordinates = round(f.geometry.coordinates);
mkdirSync(`${out}/world`, { recursive: true });
writeFileSync(`${out}/world/countries-50m.geojson`, JSON.stringify(world));
cpSync("node_modules/world-atlas/LICENSE", `${out}/world/LICENSE`);
writeFileSync(
  `${out}/README.md`,
  "Built by `make web` (web/build.mjs) from npm: leaflet 1.9.4 (BSD-2-Clause), " +
    "leaflet.markercluster 1.5.3 (MIT), world-atlas 2.0.2 (ISC; Natural Earth data, public domain). Do not edit.\n",
);
