// The operations dashboard: the mission's live map, over /api/v1 only.
// What a role may not see is never requested and its layer never created; the
// server limits every answer to the role and sectors of the token anyway.
"use strict";

const API = "api/v1";
const UNDETERMINED = "#7f7f7f";
const PALETTE = ["#1f5fbf", "#c62828", "#2e7d32", "#7b1fa2", "#ef6c00"];
const PAGE = 10000;
// At most this many violations in view are fetched as features and clustered on the
// page; more (a stress day's 100,000) are drawn as the server's cells (GET
// /violations/summary), so the page never holds more than a page of features.
// `?points=N` sets it (tests, benchmarks).
const POINTS_MAX = Number(new URLSearchParams(location.search).get("points")) || PAGE;
const CELL_PX = 48;  // a server cell's side on the screen
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
  summary: null, mode: "points", cellsDrawn: 0,
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

async function pages(path, params, most = Infinity) {
  // the pages of a GeoJSON list, following next_offset, until `most` features
  const out = [];
  let offset = 0;
  for (;;) {
    const q = new URLSearchParams({ ...params, limit: Math.min(PAGE, most - out.length), offset });
    const body = await (await api(`${path}?${q}`)).json();
    out.push(...body.features);
    if (body.next_offset == null) return { features: out, complete: true };
    if (out.length >= most) return { features: out, complete: false };
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
  const filters = ["day", "f-rule", "f-party", "f-sector", "f-severity", "f-response"];
  for (const id of filters) $(id).addEventListener("change", reload);
  let timer = null;  // the time bar fetches again once it stops moving
  for (const id of ["hour-from", "hour-to"]) {
    $(id).addEventListener("input", () => {
      showHours();
      clearTimeout(timer);
      timer = setTimeout(reload, 250);
    });
  }
}

const FILTERS = [["f-rule", "rule"], ["f-party", "party"], ["f-sector", "sector"],
  ["f-severity", "severity"], ["f-response", "response"]];

function serverFilters() {
  // every filter is the API's (in SQL), so the counts it gives are those drawn
  const p = { day: $("day").value };
  for (const [id, key] of FILTERS) if ($(id).value) p[key] = $(id).value;
  const lo = Number($("hour-from").value);
  const hi = Number($("hour-to").value);
  if (lo > 0 || hi < 24) {  // hours of the day in UTC: [since, until)
    const t0 = Date.parse(`${p.day}T00:00:00Z`);
    p.since = new Date(t0 + lo * 3.6e6).toISOString();
    p.until = new Date(t0 + Math.max(lo, hi) * 3.6e6).toISOString();
  }
  return p;
}

function showHours() {
  const lo = $("hour-from").value.padStart(2, "0");
  const hi = $("hour-to").value.padStart(2, "0");
  $("hours").textContent = `${lo}:00–${hi}:00`;
}

function matches(p, q) {
  // a live violation against the filters of the view (q: serverFilters())
  for (const [, key] of FILTERS) if (q[key] && p[key] !== q[key]) return false;
  const t = Date.parse(p.time);
  return p.day === q.day && !(q.since && t < Date.parse(q.since)) &&
    !(q.until && t >= Date.parse(q.until));
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
    state.layers.cells = L.layerGroup().addTo(map);  // the server's cells, on a busy view
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
  map.on("overlayremove", (e) => {
    if (e.layer === state.layers.violations) map.removeLayer(state.layers.cells);
  });
  map.on("overlayadd", (e) => {
    if (e.layer === state.layers.violations) map.addLayer(state.layers.cells);
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
  const clamp = (x, lim) => Math.max(-lim, Math.min(lim, x));
  return [clamp(b.getWest(), 180), clamp(b.getSouth(), 90), clamp(b.getEast(), 180),
    clamp(b.getNorth(), 90)].map(f).join(",");
}

function cellDeg() {
  // degrees of longitude CELL_PX pixels span at the current zoom
  const b = state.map.getBounds();
  const deg = ((b.getEast() - b.getWest()) / state.map.getSize().x) * CELL_PX;
  return Math.min(90, Math.max(1e-6, deg));
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
    // the counts (and, on a busy view, the cells) first: the server aggregates them,
    // so they agree with the API whatever is drawn; features only for a view that
    // holds at most POINTS_MAX of them. When the last view held few, its features
    // are asked for alongside (a page at most, dropped if the view is now busy).
    const early = reads.violations && state.mode === "points" && state.summary !== null
      ? pages("/violations", params, POINTS_MAX) : null;
    if (early) early.catch(() => {});  // awaited below when needed
    const [summary, esc] = await Promise.all([
      reads.violations ? violationSummary(params) : null,
      reads.violations ? escalations(params.day) : [],
    ]);
    if (ticket !== state.loading) return;  // a newer reload is under way
    let vs = [];
    const cells = summary !== null && summary.located > POINTS_MAX;
    if (summary !== null && !cells && summary.total > 0) {
      const got = early ? await early : null;
      vs = got && got.complete ? got.features : (await pages("/violations", params)).features;
      if (ticket !== state.loading) return;
    }
    state.lastQuery = params;
    state.summary = summary;
    state.mode = cells ? "cells" : "points";
    state.features = new Map(vs.map((f) => [f.id, f]));
    drawEscalations(esc);
    redraw();
    await Promise.all([reloadPoints("events"), reloadPoints("observations")]);
    if (ticket !== state.loading) return;
    $("status").textContent = !summary ? "" : cells
      ? `${summary.located.toLocaleString()} violations in view, in ${summary.cells.length} ` +
        "cells: zoom in for each one"
      : `loaded ${vs.length.toLocaleString()} violations in view`;
    document.body.dataset.state = "ready";
    state.firstReadyMs ??= performance.now();
  } catch (e) {
    if (ticket !== state.loading) return;
    $("status").textContent = `could not load: ${e.message}`;
    document.body.dataset.state = "error";
  }
}

async function violationSummary(params) {
  const q = new URLSearchParams({ ...params, cell_deg: cellDeg().toPrecision(6) });
  return (await api(`/violations/summary?${q}`)).json();
}

async function reloadPoints(name) {
  // events and observers of the view, a page at most (a stress day's million
  // observations stay on the server until the view is small enough)
  const layer = state.layers[name];
  if (!layer || !state.map.hasLayer(layer)) return;
  const q = { day: $("day").value, bbox: bboxParam() };
  const { features, complete } = await pages(`/${name}`, q, POINTS_MAX);
  if (name === "events") drawPoints(layer, features, "#37474f", 3);
  else drawPoints(layer, features, "#00838f", 3, observationTip);
  if (!complete) $("status").textContent = `the first ${features.length} ${name}: zoom in for all`;
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
  showHours();
  const layer = state.layers.violations;
  if (!layer) return;
  const feats = [...state.features.values()];
  layer.clearLayers();
  layer.addLayers(feats.filter((f) => f.geometry).map(marker));
  drawCells(state.mode === "cells" ? state.summary.cells : []);
  drawDetail(feats);
  if (state.summary) drawCounts(state.summary);
}

function dominant(parties) {
  // the party with most violations in a cell
  let best = null;
  for (const [k, n] of Object.entries(parties)) if (best === null || n > parties[best]) best = k;
  return best;
}

function cellMarker(c) {
  // a cell drawn as markercluster draws its clusters, ringed in its main party's colour
  const size = c.n < 100 ? "small" : c.n < 1000 ? "medium" : "large";
  const who = dominant(c.party);
  const ring = who && who !== "undetermined" ? state.colors[who] || UNDETERMINED : UNDETERMINED;
  const icon = L.divIcon({
    html: `<div style="box-shadow: 0 0 0 3px ${ring}"><span>${c.n.toLocaleString()}</span></div>`,
    className: `marker-cluster marker-cluster-${size} server-cell`,
    iconSize: L.point(40, 40),
  });
  const tip = Object.entries(c.party).map(([k, n]) => `${k} ${n.toLocaleString()}`).join(", ");
  const m = L.marker([c.lat, c.lon], { icon, title: tip, keyboard: false });
  m.on("click", () => state.map.setView([c.lat, c.lon], state.map.getZoom() + 2));
  return m;
}

function drawCells(cells) {
  const g = state.layers.cells;
  g.clearLayers();
  state.cellsDrawn = 0;
  for (const c of cells) {
    g.addLayer(cellMarker(c));
    state.cellsDrawn += c.n;
  }
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

function drawCounts(summary) {
  // the server's counts for the filters and view (GET /violations/summary)
  const byRule = new Map(Object.entries(summary.rule));
  const byParty = new Map(Object.entries(summary.party));
  $("count-total").textContent = summary.total.toLocaleString();
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

const timers = new Map();

function later(fn, ms) {
  // fn once within ms, however often asked meanwhile
  if (!timers.has(fn)) timers.set(fn, setTimeout(() => { timers.delete(fn); fn(); }, ms));
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
    if (!state.summary || !matches(p, serverFilters())) return;
    if (!body.geometry || !state.map.getBounds().pad(0.1).contains(
      [body.geometry.coordinates[1], body.geometry.coordinates[0]])) return;
    if (state.mode === "cells" || state.summary.located >= POINTS_MAX) {
      // a busy view asks the server again (a processed day announces all of its
      // violations, some already counted), once a second at most
      later(reload, 1000);
      return;
    }
    if (state.features.has(body.id)) return;
    // counted as the server would count it for this view, until the next reload
    const s = state.summary;
    s.total += 1;
    s.located += 1;
    for (const key of ["rule", "party", "severity", "response"]) {
      s[key][p[key]] = (s[key][p[key]] || 0) + 1;
    }
    state.features.set(body.id, body);
    later(redraw, 200);  // a burst of announcements is drawn once
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
  // violations drawn: markers, or the violations in the server's cells
  drawn: () => (!state.layers.violations ? 0 : state.mode === "cells" ? state.cellsDrawn
    : state.layers.violations.getLayers().length),
  mode: () => state.mode,
  summary: () => state.summary,
  lastQuery: () => state.lastQuery,
  layers: () => Object.keys(state.layers),
  has: (id) => state.features.has(id),
  routesDrawn: () => (state.layers.patrol ? state.layers.patrol.getLayers().length : 0),
  firstReadyMs: () => state.firstReadyMs ?? null,
  open: () => {  // the panel of the first violation drawn (for keyboard users and tests)
    const f = [...state.features.values()].find((x) => x.geometry);
    if (f) showPanel(f);
    return f ? f.id : null;
  },
};
const kept = sessionStorage.getItem("ceasefire-token");
if (kept) login(kept);
