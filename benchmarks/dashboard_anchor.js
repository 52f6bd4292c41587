// The dashboard page as main had it before issue 18's stress-day work (commit 8be901e):
// every violation in view fetched as features and counted on the page. The anchor of
// benchmarks/bench_dashboard.py, served in place of app.js; not shipped.
// The operations dashboard: the mission's live map, over /api/v1 only.
// What a role may not see is never requested and its layer never created; the
// server limits every answer to the role and sectors of the token anyway.
"use strict";

const API = "api/v1";
const UNDETERMINED = "#7f7f7f";
const PALETTE = ["#1f5fbf", "#c62828", "#2e7d32", "#7b1fa2", "#ef6c00"];
const PAGE = 10000;
const ELLIPSE_ZOOM = 11;  // ellipses and launch lines only where they can be told apart
const DETAIL_MAX = 3000;  // most ellipses / launch lines drawn at once

const READS = {  // which layers each role may read (docs/service.md's table)
  chief: {
    violations: true, events: true, observations: true, stream: true, publish: true, patrol: true,
  },
  analyst: { violations: true, events: true, observations: true, stream: true },
  party: { violations: true },
  monitor: { observations: true },
  public: {},
};

const $ = (id) => document.getElementById(id);
const state = {
  token: null, me: null, mandate: null, map: null, colors: {}, layers: {},
  features: new Map(), lastQuery: null, loading: 0, streamAbort: null,
};

// ── the API ─────────────────────────────────────────────────────────────────
async function api(path, opts = {}) {
  const headers = { Authorization: `Bearer ${state.token}`, ...(opts.headers || {}) };
  const res = await fetch(`${API}${path}`, { ...opts, headers });
  if (!res.ok) {
    let detail = res.statusText;
    try { detail = (await res.json()).detail || detail; } catch (_) { /* not JSON */ }
    const err = new Error(`${res.status}: ${detail}`);
    err.status = res.status;
    throw err;
  }
  return res;
}

async function pages(path, params) {
  // every page of a GeoJSON list, following next_offset
  const out = [];
  let offset = 0;
  for (;;) {
    const q = new URLSearchParams({ ...params, limit: PAGE, offset });
    const body = await (await api(`${path}?${q}`)).json();
    out.push(...body.features);
    if (body.next_offset == null) return out;
    offset = body.next_offset;
  }
}

// ── log in ──────────────────────────────────────────────────────────────────
async function login(token) {
  state.token = token;
  try {
    state.me = await (await api("/me")).json();
  } catch (e) {
    state.token = null;
    $("login-error").textContent = e.status === 401 ? "unknown or disabled token" : e.message;
    return;
  }
  sessionStorage.setItem("ceasefire-token", token);
  $("login").hidden = true;
  $("app").hidden = false;
  const me = state.me;
  $("who").textContent = `${me.name} · ${me.role}` +
    (me.sectors.length ? ` · sectors: ${me.sectors.join(", ")}` : "") +
    (me.party ? ` · party: ${me.party}` : "");
  state.mandate = await (await api("/mandate")).json();
  $("mission").textContent = state.mandate.mission;
  setUpFilters();
  setUpMap();
  if (READS[me.role]?.publish) $("publish").hidden = false;
  const q = new URLSearchParams(location.search);
  $("day").value = q.get("day") || new Date().toISOString().slice(0, 10);
  await reload();
  if (READS[me.role]?.stream) listen();
}

function logout() {
  sessionStorage.removeItem("ceasefire-token");
  if (state.streamAbort) state.streamAbort.abort();
  location.reload();
}

// ── filters and the time bar ────────────────────────────────────────────────
function option(sel, value, label) {
  const o = document.createElement("option");
  o.value = value;
  o.textContent = label ?? value;
  sel.append(o);
}

function setUpFilters() {
  const m = state.mandate;
  m.parties.forEach((p, i) => { state.colors[p.id] = PALETTE[i % PALETTE.length]; });
  m.rules.forEach((r) => option($("f-rule"), r));
  m.parties.forEach((p) => option($("f-party"), p.id, `${p.id} (${p.name})`));
  const sectors = state.me.role === "analyst" ? state.me.sectors : m.sectors;
  sectors.forEach((s) => option($("f-sector"), s));
  for (const id of ["day", "f-rule", "f-party", "f-sector"]) $(id).addEventListener("change", reload);
  for (const id of ["f-severity", "f-response", "hour-from", "hour-to"]) {
    $(id).addEventListener("input", redraw);
  }
}

function serverFilters() {
  // the filters the API applies (in SQL); the rest narrow what was fetched
  const p = { day: $("day").value };
  for (const [id, key] of [["f-rule", "rule"], ["f-party", "party"], ["f-sector", "sector"]]) {
    if ($(id).value) p[key] = $(id).value;
  }
  return p;
}

function hourOf(iso, day) {
  // hours since the reporting day's start in UTC (the time bar's scale)
  return (Date.parse(iso) - Date.parse(`${day}T00:00:00Z`)) / 3.6e6;
}

function shown(f) {
  const p = f.properties;
  if ($("f-severity").value && p.severity !== $("f-severity").value) return false;
  if ($("f-response").value && p.response !== $("f-response").value) return false;
  const lo = Number($("hour-from").value);
  const hi = Number($("hour-to").value);
  if (lo > 0 || hi < 24) {
    const h = hourOf(p.time, $("day").value);
    if (h < lo || h >= hi) return false;
  }
  return true;
}

// ── the map ─────────────────────────────────────────────────────────────────
function setUpMap() {
  const map = L.map("map", { preferCanvas: true, zoomSnap: 0.5, minZoom: 3, maxZoom: 18 });
  state.map = map;
  map.attributionControl.setPrefix(false);
  map.attributionControl.addAttribution("Natural Earth");
  fetch("vendor/world/countries-50m.geojson").then((r) => r.json()).then((world) => {
    L.geoJSON(world, {
      interactive: false,
      style: { color: "#9aa7b4", weight: 0.8, fillColor: "#f4f1ea", fillOpacity: 1 },
    }).addTo(map).bringToBack();
  });
  const mandate = L.geoJSON(state.mandate, { style: mandateStyle, onEachFeature: (f, l) => {
    l.bindTooltip(f.properties.name || f.properties.id);
  } }).addTo(map);
  map.fitBounds(mandate.getBounds(), { padding: [10, 10] });
  const overlays = { Mandate: mandate };
  const reads = READS[state.me.role] || {};
  // absent, not hidden: a layer the role may not read is never made
  if (reads.violations) {
    state.layers.violations = L.markerClusterGroup({
      chunkedLoading: true, disableClusteringAtZoom: 12, spiderfyOnMaxZoom: false,
    }).addTo(map);
    state.layers.detail = L.layerGroup().addTo(map);
    overlays.Violations = state.layers.violations;
    overlays["Ellipses and launch lines"] = state.layers.detail;
  }
  if (reads.events) {
    state.layers.events = L.layerGroup();
    overlays.Events = state.layers.events;
  }
  if (reads.observations) {
    state.layers.observations = L.layerGroup();
    overlays[state.me.role === "monitor" ? "My observations" : "Observers"] =
      state.layers.observations;
  }
  if (reads.patrol) {
    state.layers.patrol = L.layerGroup();
    overlays["Drone routes"] = state.layers.patrol;
  }
  L.control.layers(null, overlays, { collapsed: false }).addTo(map);
  L.control.scale({ imperial: false }).addTo(map);
  map.on("moveend", () => { reload(); });
  map.on("overlayadd", (e) => {
    for (const name of ["events", "observations"]) {
      if (e.layer === state.layers[name]) reloadPoints(name);
    }
    if (e.layer === state.layers.patrol) loadRoutes();
  });
}

function mandateStyle(f) {
  const k = f.properties.kind;
  if (k === "contact_line") return { color: "#000", weight: 2.5 };
  if (k === "reference_line") return { color: "#555", weight: 1, dashArray: "4 4" };
  if (k === "sector") return { color: "#0b3d5c", weight: 7, opacity: 0.15 };
  if (k === "polygon_zone") return { color: "#ef6c00", weight: 1.5, fillOpacity: 0.15 };
  const c = state.colors[f.properties.party] || "#888";
  return { color: c, weight: 0.8, fillColor: c, fillOpacity: 0.05 };
}

function named(p) {
  // the attributed party, or null when the mission could not say
  return p.party && p.party !== "undetermined" ? p.party : null;
}

function colorOf(p) {
  return named(p) ? state.colors[named(p)] || UNDETERMINED : UNDETERMINED;
}

function bboxParam() {
  const b = state.map.getBounds().pad(0.1);
  const f = (x) => x.toFixed(5);
  return [b.getWest(), b.getSouth(), b.getEast(), b.getNorth()].map(f).join(",");
}

// ── data ────────────────────────────────────────────────────────────────────
async function reload() {
  // violations (and the lines of defence) first: the map is drawn as soon as they
  // are in; events and observers only while their layer is switched on
  if (!state.map) return;
  const ticket = ++state.loading;
  $("status").textContent = "loading…";
  document.body.dataset.state = "loading";
  const params = { ...serverFilters(), bbox: bboxParam() };
  const reads = READS[state.me.role] || {};
  try {
    const [vs, esc] = await Promise.all([
      reads.violations ? pages("/violations", params) : [],
      reads.violations ? escalations(params.day) : [],
    ]);
    if (ticket !== state.loading) return;  // a newer reload is under way
    state.lastQuery = params;
    state.features = new Map(vs.map((f) => [f.id, f]));
    drawEscalations(esc);
    redraw();
    await Promise.all([reloadPoints("events"), reloadPoints("observations")]);
    if (ticket !== state.loading) return;
    $("status").textContent = `loaded ${vs.length.toLocaleString()} violations in view`;
    document.body.dataset.state = "ready";
    state.firstReadyMs ??= performance.now();
  } catch (e) {
    if (ticket !== state.loading) return;
    $("status").textContent = `could not load: ${e.message}`;
    document.body.dataset.state = "error";
  }
}

async function reloadPoints(name) {
  const layer = state.layers[name];
  if (!layer || !state.map.hasLayer(layer)) return;
  const feats = await pages(`/${name}`, { day: $("day").value, bbox: bboxParam() });
  if (name === "events") drawPoints(layer, feats, "#37474f", 3);
  else drawPoints(layer, feats, "#00838f", 3, observationTip);
}

async function loadRoutes() {
  // the plan's sorties, once: they do not depend on the view
  const g = state.layers.patrol;
  if (g.getLayers().length) return;
  try {
    const routes = await (await api("/patrol")).json();
    for (const f of routes.features) {
      const p = f.properties;
      g.addLayer(L.polyline(f.geometry.coordinates.map(([lo, la]) => [la, lo]), {
        color: "#6a1b9a", weight: 2, opacity: 0.8,
      }).bindTooltip(`${p.drone} (${p.type}) from ${p.base}: ${p.takeoff} – ${p.landing}, ` +
        `${p.distance_km} km`));
    }
    $("status").textContent = `${routes.features.length} sorties drawn`;
  } catch (e) {
    $("status").textContent = e.status === 404 ? "no patrol plan on this server" : e.message;
  }
}

async function escalations(day) {
  const body = await (await api(`/escalations?${new URLSearchParams({ day, limit: 1000 })}`)).json();
  return body.escalations;
}

function drawPoints(layer, feats, color, radius, tip) {
  if (!layer) return;
  layer.clearLayers();
  for (const f of feats) {
    if (!f.geometry) continue;
    const [lon, lat] = f.geometry.coordinates;
    const m = L.circleMarker([lat, lon], { radius, color, weight: 1, fillOpacity: 0.6 });
    if (tip) m.bindTooltip(tip(f));
    layer.addLayer(m);
  }
}

function observationTip(f) {
  const p = f.properties;
  return `${p.source}/${p.id} · ${p.kind} · ${p.time}`;
}

function marker(f) {
  const [lon, lat] = f.geometry.coordinates;
  const c = colorOf(f.properties);
  const m = L.circleMarker([lat, lon], { radius: 6, color: "#fff", weight: 1, fillColor: c,
    fillOpacity: 0.9 });
  m.feature = f;
  m.on("click", () => showPanel(f));
  return m;
}

function redraw() {
  const lo = $("hour-from").value.padStart(2, "0");
  const hi = $("hour-to").value.padStart(2, "0");
  $("hours").textContent = `${lo}:00–${hi}:00`;
  const layer = state.layers.violations;
  if (!layer) return;
  const feats = [...state.features.values()].filter(shown);
  layer.clearLayers();
  layer.addLayers(feats.filter((f) => f.geometry).map(marker));
  drawDetail(feats);
  drawCounts(feats);
}

function drawDetail(feats) {
  // 95 % ellipses and launch-to-impact lines, zoomed in only
  const g = state.layers.detail;
  g.clearLayers();
  if (state.map.getZoom() < ELLIPSE_ZOOM) return;
  const view = state.map.getBounds();
  let n = 0;
  for (const f of feats) {
    if (!f.geometry || n >= DETAIL_MAX) continue;
    const [lon, lat] = f.geometry.coordinates;
    if (!view.contains([lat, lon])) continue;
    n += 1;
    const p = f.properties;
    const c = colorOf(p);
    if (p.uncertainty) g.addLayer(L.polygon(ellipse(lat, lon, p.uncertainty), {
      color: c, weight: 1, fillOpacity: 0.08, interactive: false }));
    if (p.launch) g.addLayer(L.polyline([[p.launch.coordinates[1], p.launch.coordinates[0]],
      [lat, lon]], { color: c, weight: 1.5, dashArray: "6 4", interactive: false }));
  }
}

function ellipse(lat, lon, u) {
  // a ring about (lat, lon): semi-axes in m, major axis clockwise from north; a
  // local tangent plane is exact enough at the few km of an error ellipse
  const th = (u.orientation_deg * Math.PI) / 180;
  const mLat = 111320;
  const mLon = 111320 * Math.cos((lat * Math.PI) / 180);
  const out = [];
  for (let i = 0; i < 36; i += 1) {
    const t = (i / 36) * 2 * Math.PI;
    const a = u.semi_major_m * Math.cos(t);
    const b = u.semi_minor_m * Math.sin(t);
    const east = a * Math.sin(th) - b * Math.cos(th);
    const north = a * Math.cos(th) + b * Math.sin(th);
    out.push([lat + north / mLat, lon + east / mLon]);
  }
  return out;
}

function drawCounts(feats) {
  const byRule = new Map();
  const byParty = new Map();
  for (const f of feats) {
    const p = f.properties;
    byRule.set(p.rule, (byRule.get(p.rule) || 0) + 1);
    const who = named(p) || "undetermined";
    byParty.set(who, (byParty.get(who) || 0) + 1);
  }
  $("count-total").textContent = feats.length.toLocaleString();
  table($("count-rule"), byRule, () => null);
  table($("count-party"), byParty, (k) => (k === "undetermined" ? UNDETERMINED : state.colors[k]));
}

function table(el, counts, color) {
  const body = el.querySelector("tbody");
  body.replaceChildren();
  for (const [k, n] of [...counts.entries()].sort((a, b) => b[1] - a[1])) {
    const tr = document.createElement("tr");
    tr.dataset.key = k;
    const name = document.createElement("td");
    const c = color(k);
    if (c) {
      const s = document.createElement("span");
      s.className = "swatch";
      s.style.background = c;
      name.append(s);
    }
    name.append(k);
    const num = document.createElement("td");
    num.className = "n";
    num.textContent = n.toLocaleString();
    tr.append(name, num);
    body.append(tr);
  }
}

// ── a violation's panel ─────────────────────────────────────────────────────
function showPanel(f) {
  const p = f.properties;
  const panel = $("panel");
  panel.replaceChildren();
  const close = document.createElement("button");
  close.className = "close";
  close.textContent = "×";
  close.setAttribute("aria-label", "close");
  close.onclick = () => { panel.hidden = true; };
  const h = document.createElement("h2");
  h.textContent = `${p.rule}: ${p.weapon || p.object || p.kind}`;
  const dl = document.createElement("dl");
  const pos = f.geometry ? f.geometry.coordinates : null;
  const rows = [
    ["id", p.id],
    ["time", p.time],
    ["sector", p.sector || "–"],
    ["position", pos ? `${pos[1].toFixed(5)}, ${pos[0].toFixed(5)}` +
      (p.uncertainty ? ` ± ${Math.round(p.uncertainty.semi_major_m)} m (95 %)` : "") : "none"],
    ["launch", p.launch ? `${p.launch.coordinates[1].toFixed(5)}, ${p.launch.coordinates[0].toFixed(5)}` : "–"],
    ["party", named(p) ? `${p.party} (p = ${p.party_probability.toFixed(2)})` :
      `undetermined (${Object.entries(p.probabilities || {}).map(([k, v]) => `${k} ${v.toFixed(2)}`).join(", ")})`],
    ["severity", p.severity],
    ["response", p.response],
    ["evidence", p.observations ? p.observations.join(", ") : "not shown to this role"],
    ["events", (p.events || []).join(", ")],
  ];
  for (const [k, v] of rows) {
    const dt = document.createElement("dt");
    dt.textContent = k;
    const dd = document.createElement("dd");
    dd.textContent = v;
    dd.dataset.field = k;
    dl.append(dt, dd);
  }
  const proof = document.createElement("button");
  proof.id = "download-proof";
  proof.textContent = "Download inclusion proof";
  proof.onclick = () => downloadProof(p.id);
  const ledger = document.createElement("p");
  ledger.id = "ledger-entry";
  ledger.className = "status";
  panel.append(close, h, dl, proof, ledger);
  panel.hidden = false;
  api(`/ledger/proof/${encodeURIComponent(p.id)}`).then((r) => r.json()).then((b) => {
    ledger.textContent = `ledger entry ${b.index ?? b.leaf_index ?? "?"} of tree size ` +
      `${b.tree_size ?? b.head?.tree_size ?? "?"}`;
  }).catch((e) => { ledger.textContent = `no ledger entry available (${e.message})`; });
}

async function downloadProof(id) {
  const blob = await (await api(`/ledger/proof/${encodeURIComponent(id)}`)).blob();
  const a = document.createElement("a");
  a.href = URL.createObjectURL(blob);
  a.download = `proof-${id}.json`;
  document.body.append(a);
  a.click();
  a.remove();
}

// ── lines of defence ────────────────────────────────────────────────────────
function drawEscalations(list) {
  const ol = $("esc-list");
  ol.replaceChildren();
  for (const e of list) addEscalation(e);
}

function addEscalation(e) {
  const li = document.createElement("li");
  li.dataset.id = e.id;
  const s = document.createElement("span");
  s.className = e.state;
  s.textContent = `${e.state}: line ${e.line} ${e.line_name}`;
  li.append(s, ` (${e.holder}) · ${e.party || "any party"}${e.sector ? ` · ${e.sector}` : ""}` +
    ` · ${e.time} · trigger: ${e.trigger} · ${e.violation_ids.length} violations`);
  $("esc-list").prepend(li);
}

// ── live: the server's event stream ─────────────────────────────────────────
async function listen() {
  // EventSource cannot send a bearer token; read the stream with fetch
  state.streamAbort = new AbortController();
  for (;;) {
    try {
      const res = await api("/stream", { signal: state.streamAbort.signal });
      document.body.dataset.stream = "open";
      const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
      let buf = "";
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        buf += value;
        let i;
        while ((i = buf.indexOf("\n\n")) >= 0) {
          onMessage(buf.slice(0, i));
          buf = buf.slice(i + 2);
        }
      }
    } catch (e) {
      if (state.streamAbort.signal.aborted) return;
    }
    document.body.dataset.stream = "closed";
    await new Promise((r) => setTimeout(r, 2000));
  }
}

function onMessage(block) {
  let type = "message";
  const data = [];
  for (const line of block.split("\n")) {
    if (line.startsWith("event:")) type = line.slice(6).trim();
    else if (line.startsWith("data:")) data.push(line.slice(5).trim());
  }
  if (!data.length) return;
  const body = JSON.parse(data.join("\n"));
  if (type === "violation") {
    const p = body.properties;
    const f = serverFilters();
    if (p.day !== f.day || (f.rule && p.rule !== f.rule) || (f.party && p.party !== f.party) ||
        (f.sector && p.sector !== f.sector)) return;
    if (body.geometry && !state.map.getBounds().pad(0.1).contains(
      [body.geometry.coordinates[1], body.geometry.coordinates[0]])) return;
    state.features.set(body.id, body);
    redraw();
  } else if (type === "escalation") {
    addEscalation(body);
  }
}

// ── the daily report ────────────────────────────────────────────────────────
async function openReport() {
  const day = $("day").value;
  try {
    const blob = await (await api(`/days/${day}/report?format=html`)).blob();
    window.open(URL.createObjectURL(blob), "_blank");
    $("report-status").textContent = "";
  } catch (e) {
    $("report-status").textContent = e.status === 404 ? `no report for ${day} yet` : e.message;
  }
}

async function publish() {
  const day = $("day").value;
  try {
    await api(`/days/${day}/publish`, { method: "POST" });
    $("report-status").textContent = `${day} published`;
  } catch (e) {
    $("report-status").textContent = e.message;
  }
}

// ── start ───────────────────────────────────────────────────────────────────
$("login-form").addEventListener("submit", (ev) => {
  ev.preventDefault();
  login($("token").value.trim());
});
$("logout").addEventListener("click", logout);
$("open-report").addEventListener("click", openReport);
$("publish").addEventListener("click", publish);
window.dashboard = {
  drawn: () => (state.layers.violations ? state.layers.violations.getLayers().length : 0),
  lastQuery: () => state.lastQuery,
  layers: () => Object.keys(state.layers),
  has: (id) => state.features.has(id),
  routesDrawn: () => (state.layers.patrol ? state.layers.patrol.getLayers().length : 0),
  firstReadyMs: () => state.firstReadyMs ?? null,
  open: () => {  // the panel of the first violation drawn (for keyboard users and tests)
    const f = [...state.features.values()].find((x) => x.geometry && shown(x));
    if (f) showPanel(f);
    return f ? f.id : null;
  },
};
const kept = sessionStorage.getItem("ceasefire-token");
if (kept) login(kept);
