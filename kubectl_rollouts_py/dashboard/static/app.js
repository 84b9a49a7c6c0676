// rollouts-py dashboard: plain JS, no build step. Every string from the cluster goes into
// the page as text (textContent / createTextNode / setAttribute), never as HTML.
// Control and invisible formatting characters (ANSI escapes, bidi overrides, zero-width
// characters) are shown as visible escapes (\x1b, \u202e), as the CLI prints them.
// Each update replaces the view's DOM (replaceChildren), so nothing accumulates.
"use strict";

const TOKEN = document.querySelector('meta[name="rollouts-token"]').content;
const READ_ONLY = document.querySelector('meta[name="rollouts-read-only"]').content === "true";
const SVG_NS = "http://www.w3.org/2000/svg";
const ICONS = { Healthy: "✔", Progressing: "◌", Paused: "‖", Degraded: "✖", Unknown: "?", Error: "⚠", InvalidSpec: "⚠", ScaledDown: "•",
  Successful: "✔", Running: "◌", Failed: "✖", Inconclusive: "?", Pending: "○" };

const state = { info: null, doc: null, statusFilter: "", labelKeys: null, openPods: new Set(), openEvidence: new Set(), loading: false, again: false, force: false, latest: null, shown: null, listRows: null, drafts: new Map(), updates: 0, skew: 0, connected: false };
const $ = (id) => document.getElementById(id);
const TICK_MS = 1000;  // ages and countdowns are redrawn this often, without a server event

// Cc, Cf, Zl, Zp, Cs and Co, as render/escape.py; newline and tab stay (multi-line queries).
const UNSAFE = /(?![\n\t])[\p{Cc}\p{Cf}\p{Zl}\p{Zp}\p{Cs}\p{Co}]/gu;

function clean(value) {
  return String(value).replace(UNSAFE, (ch) => {
    const code = ch.codePointAt(0);
    if (code < 0x100) return "\\x" + code.toString(16).padStart(2, "0");
    if (code < 0x10000) return "\\u" + code.toString(16).padStart(4, "0");
    return "\\U" + code.toString(16).padStart(8, "0");
  });
}

function text(value) {
  return document.createTextNode(clean(value));
}

function el(tag, props, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(props || {})) {
    if (value === null || value === undefined || value === false) continue;
    if (key === "class") node.className = value;
    else if (key === "text") node.textContent = clean(value);
    else if (key.startsWith("on")) node.addEventListener(key.slice(2), value);
    else node.setAttribute(key, key === "title" || key.startsWith("aria-") ? clean(value) : String(value));
  }
  for (const child of children.flat()) {
    if (child === null || child === undefined || child === false) continue;
    node.append(child instanceof Node ? child : text(child));
  }
  return node;
}

function svg(tag, attrs, ...children) {
  const node = document.createElementNS(SVG_NS, tag);
  for (const [key, value] of Object.entries(attrs || {})) node.setAttribute(key, String(value));
  for (const child of children) node.append(child instanceof Node ? child : text(child));
  return node;
}

function statusIcon(status) {
  return el("span", { class: `icon s-${status}`, title: status, "data-status": status }, ICONS[status] || "•");
}

function show(value) {
  return value === null || value === undefined || value === "" ? "-" : String(value);
}

// ------------------------------------------------------------------ clock-driven text

// kubectl's AGE format (derive/humantime.py human_duration) and Go's duration for the
// time left of a pause (derive/rollout.py countdown).
function humanDuration(seconds) {
  const whole = Math.trunc(seconds);
  if (whole < -1) return "<invalid>";
  if (whole < 0) return "0s";
  if (whole < 120) return `${whole}s`;
  const minutes = Math.floor(whole / 60);
  if (minutes < 10) return whole % 60 ? `${minutes}m${whole % 60}s` : `${minutes}m`;
  if (minutes < 180) return `${minutes}m`;
  const hours = Math.floor(whole / 3600);
  if (hours < 8) return minutes % 60 ? `${hours}h${minutes % 60}m` : `${hours}h`;
  if (hours < 48) return `${hours}h`;
  const days = Math.floor(hours / 24);
  if (hours < 24 * 8) return hours % 24 ? `${days}d${hours % 24}h` : `${days}d`;
  if (hours < 24 * 365 * 2) return `${days}d`;
  const years = Math.floor(days / 365);
  if (hours < 24 * 365 * 8) return days % 365 ? `${years}y${days % 365}d` : `${years}y`;
  return `${years}y`;
}

function countdown(seconds) {
  const whole = Math.max(0, Math.ceil(seconds));
  const h = Math.floor(whole / 3600), m = Math.floor((whole % 3600) / 60), s = whole % 60;
  return h ? `${h}h${m}m${s}s` : m ? `${m}m${s}s` : `${s}s`;
}

// The server's clock, not the browser's: `skew` comes from /api/v1/info's serverTime.
function serverNow() {
  return Date.now() + state.skew;
}

function ageOf(timestamp) {
  const t = Date.parse(timestamp);
  return Number.isNaN(t) ? "-" : humanDuration((serverNow() - t) / 1000);
}

function leftUntil(timestamp) {
  return countdown((Date.parse(timestamp) - serverNow()) / 1000);
}

// An age or a countdown that the ticker keeps current between server events.
function since(timestamp) {
  return el("span", { class: "since", "data-since": timestamp || null }, timestamp ? ageOf(timestamp) : "-");
}

function until(timestamp) {
  return el("span", { class: "until", "data-until": timestamp }, leftUntil(timestamp));
}

function tick() {
  for (const node of document.querySelectorAll("[data-since]")) {
    const shown = ageOf(node.dataset.since);
    if (node.textContent !== shown) node.textContent = shown;
  }
  for (const node of document.querySelectorAll("[data-until]")) {
    const shown = leftUntil(node.dataset.until);
    if (node.textContent !== shown) node.textContent = shown;
  }
  if (state.info && state.info.staleSince) showBanner();
}

// ------------------------------------------------------------------ routing and data

function route() {
  const parts = location.hash.replace(/^#\/?/, "").split("/").filter(Boolean).map(decodeURIComponent);
  if (parts[0] === "rollout" && parts.length >= 3) return { page: "rollout", namespace: parts[1], name: parts[2] };
  if (parts[0] === "experiment" && parts.length >= 3) return { page: "experiment", namespace: parts[1], name: parts[2] };
  if (parts[0] === "experiments") return { page: "experiments" };
  return { page: "list" };
}

// Every URL the page asks for is relative to the page's own (no leading "/"), so that the
// dashboard works the same under --root-path PREFIX, behind a proxy that forwards it.
async function getJSON(path) {
  const response = await fetch(path, { headers: { Accept: "application/json" } });
  const body = await response.json();
  if (!response.ok) throw new Error(body.error || response.statusText);
  return body;
}

// refresh(): load the page's document again. refresh(version), on a change event: only when
// the page does not already show that version (the event stream announces the current version
// as soon as it connects, which is usually the one the page has just loaded: with 2,000
// rollouts that second list would be about 0.9 MB more). The info (namespaces, the banner) is
// read either way: a watch failing or recovering is news without a new version.
async function refresh(version) {
  if (version === undefined) state.force = true; else state.latest = version;
  if (state.loading) { state.again = true; return; }
  state.loading = true;
  try {
    do {
      state.again = false;
      const force = state.force;
      state.force = false;
      const r = route();
      await loadInfo();  // namespaces come and go (-A); a watch may have failed
      showNav(r.page);
      const ns = $("namespace").value;
      const query = ns ? "?namespace=" + encodeURIComponent(ns) : "";
      const key = `${location.hash}|${ns}`;
      if (!force && state.shown && state.shown.key === key && state.shown.version === state.latest) continue;
      let doc = null;
      if (r.page !== "list") state.listRows = null;  // the list's row elements go with it
      if (r.page === "list") {
        renderList(doc = await getJSON("api/v1/rollouts" + query));
      } else if (r.page === "experiments") {
        renderExperiments(doc = await getJSON("api/v1/experiments" + query));
      } else {
        const kind = r.page === "rollout" ? "rollouts" : "experiments";
        try {
          doc = await getJSON(`api/v1/${kind}/${encodeURIComponent(r.namespace)}/${encodeURIComponent(r.name)}`);
          if (r.page === "rollout") renderRollout(doc); else renderExperiment(doc);
        } catch (err) {
          $("view").replaceChildren(el("p", { class: "muted" }, String(err.message)), el("a", { href: r.page === "rollout" ? "#/" : "#/experiments" }, "Back to the list"));
        }
      }
      state.shown = doc ? { key, version: doc.version } : null;
      state.updates += 1;
      document.body.dataset.updates = String(state.updates);
    } while (state.again);
  } catch (err) {
    notice("Could not load: " + err.message, true);
  } finally {
    state.loading = false;
  }
}

async function loadInfo() {
  const asked = Date.now();
  const info = await getJSON("api/v1/info");
  const server = Date.parse(info.serverTime);
  if (!Number.isNaN(server)) state.skew = server - (asked + Date.now()) / 2;
  const changed = !state.info || JSON.stringify(info.namespaces) !== JSON.stringify(state.info.namespaces);
  state.info = info;
  const user = $("user");  // --auth proxy: the person the proxy signed in
  user.hidden = !info.user;
  if (info.user && user.textContent !== clean(info.user)) { user.textContent = clean(info.user); user.title = clean(`Signed in as ${info.user}`); }
  showBanner();
  if (!changed) return;
  const select = $("namespace");
  const keep = select.value || "";
  const options = [];
  if (!info.namespace) options.push(el("option", { value: "" }, "All namespaces"));
  for (const ns of info.namespaces) options.push(el("option", { value: ns }, ns));
  select.replaceChildren(...options);
  if (keep && info.namespaces.includes(keep)) select.value = keep;
  select.disabled = Boolean(info.namespace);
}

function connect() {
  const events = new EventSource("api/v1/events");
  events.addEventListener("change", (e) => { state.connected = true; showBanner(); refresh(Number(e.data)); });
  // EventSource reconnects by itself (the server asks for 1 s); the first change event
  // after that refetches everything.
  events.addEventListener("error", () => { state.connected = false; showBanner(); });
}

// The banner says when what the page shows may be out of date: the dashboard server is
// unreachable, or it cannot follow some kinds from the API server (it keeps retrying).
function showBanner() {
  const banner = $("banner");
  const info = state.info;
  const stale = info && info.stale ? Object.entries(info.stale) : [];
  let message = null;
  if (!state.connected) {
    message = "Lost the connection to the dashboard server; reconnecting… What is shown may be out of date.";
  } else if (stale.length) {
    const byReason = new Map();  // usually one reason for every kind: say it once
    for (const [kind, why] of stale) byReason.set(why, [...(byReason.get(why) || []), kind]);
    const reasons = [...byReason].map(([why, kinds]) => `${kinds.sort().join(", ")}: ${why}`).join("; ");
    const age = info.staleSince ? ` (since ${ageOf(info.staleSince)} ago)` : "";
    message = `Not live: cannot follow the cluster${age}; reconnecting… Showing what was last seen. ${reasons}`;
  }
  const live = $("live");
  live.textContent = message ? "reconnecting…" : "live";
  live.className = message ? "live off" : "live on";
  live.title = message || "Live updates";
  banner.hidden = !message;
  if (message && banner.textContent !== clean(message)) banner.textContent = clean(message);
}

// kind: falsy (done), true (an error) or "refusal" (the cluster refused the action).
function notice(text, kind) {
  const box = $("notice");
  box.textContent = clean(text);
  box.className = kind === "refusal" ? "notice refusal" : kind ? "notice error" : "notice";
  box.dataset.kind = kind === "refusal" ? "refusal" : kind ? "error" : "done";
  box.hidden = false;
  clearTimeout(notice.timer);
  notice.timer = setTimeout(() => { box.hidden = true; }, 8000);
}

// ------------------------------------------------------------------ list page

// The statuses the filters always offer (with their counts, zero included), in Argo's order;
// any other status a rollout has gets its own filter after these.
const STATUSES = ["Healthy", "Progressing", "Paused", "Degraded"];

// One search word: `key:value` matches a label (a key some row has), anything else is a
// substring of the name, namespace, status, strategy or an image (so `app:2.0` still finds
// an image when no rollout has a label "app").
function wordMatches(row, word, hay) {
  const colon = word.indexOf(":");
  if (colon > 0) {
    const key = word.slice(0, colon), value = word.slice(colon + 1);
    const labels = row.labels || {};
    const found = Object.keys(labels).find((k) => k.toLowerCase() === key);
    if (found !== undefined) return value === "" || String(labels[found]).toLowerCase() === value;
    if (state.labelKeys && state.labelKeys.has(key)) return false;
  }
  return hay.includes(word);
}

function matches(row, query) {
  if (!query) return true;
  const hay = [row.name, row.namespace, row.status, row.strategy, ...(row.images || []).map((i) => i.image)].join(" ").toLowerCase();
  return query.toLowerCase().split(/\s+/).every((word) => wordMatches(row, word, hay));
}

function byAttention(a, b) {
  return (a.attention ?? 3) - (b.attention ?? 3) || a.namespace.localeCompare(b.namespace) || a.name.localeCompare(b.name);
}

function statusFilters(items, shownStatus) {
  const counts = new Map(STATUSES.map((s) => [s, 0]));
  for (const row of items) counts.set(row.status, (counts.get(row.status) || 0) + 1);
  const chip = (status, label, count) => el("button", {
    class: `chip${status ? " s-" + status : ""}`, type: "button", "data-filter": status, "aria-pressed": String(shownStatus === status),
    onclick: () => { state.statusFilter = status; renderList(state.doc); },
  }, status ? statusIcon(status) : null, ` ${label} `, el("span", { class: "count", "data-count": status || "all" }, String(count)));
  return el("div", { class: "filters", id: "status-filters", role: "group", "aria-label": "Filter by status" },
    chip("", "All", items.length), [...counts].map(([status, count]) => chip(status, status, count)));
}

const LIST_HEADINGS = ["Status", "Name", "Namespace", "Strategy", "Step", "Weight (set / actual)", "Images", "Age", "Ready / Desired"];

function listRow(row) {
  const href = `#/rollout/${encodeURIComponent(row.namespace)}/${encodeURIComponent(row.name)}`;
  const weight = row.strategy === "Canary" ? `${show(row.setWeight)} / ${show(row.actualWeight)}` : "-";
  return el("tr", { class: `row attention-${row.attention}`, "data-rollout": row.name, tabindex: "0", onclick: () => { location.hash = href; },
    onkeydown: (e) => { if (e.key === "Enter") location.hash = href; } },
    el("td", { class: "status-cell" }, statusIcon(row.status), " ", el("span", { class: `status-word s-${row.status}` }, row.status)),
    el("td", {}, el("a", { href, tabindex: "-1" }, row.name), row.message ? el("div", { class: "muted" }, row.message) : null),
    el("td", { "data-label": "Namespace" }, row.namespace),
    el("td", { "data-label": "Strategy" }, row.strategy || "-"),
    el("td", { "data-label": "Step" }, show(row.step)),
    el("td", { "data-label": "Weight" }, weight),
    el("td", { "data-label": "Images" }, (row.images || []).map((i) => el("div", { class: "image" }, i.image, (i.tags || []).map((t) => el("span", { class: `tag ${t}` }, t))))),
    el("td", { class: "age", "data-label": "Age" }, since(row.creationTimestamp)),
    el("td", { "data-label": "Ready" }, `${row.replicas.ready} / ${row.replicas.desired}`));
}

// Make `parent`'s children exactly `nodes`, touching only what differs: a node that stays
// is neither rebuilt nor moved, so the browser lays out again only the rows that changed
// (with 2,000 rows, rebuilding them all costs about half a second of layout per change).
function patchChildren(parent, nodes) {
  const wanted = new Set(nodes);
  for (const child of [...parent.children]) if (!wanted.has(child)) child.remove();
  nodes.forEach((node, i) => { if (parent.children[i] !== node) parent.insertBefore(node, parent.children[i] || null); });
}

function renderList(doc) {
  state.doc = doc;
  $("search-field").hidden = false;
  const query = $("search").value.trim();
  state.labelKeys = new Set(doc.items.flatMap((row) => Object.keys(row.labels || {}).map((k) => k.toLowerCase())));
  const filter = state.statusFilter || "";
  const rows = doc.items.filter((row) => (!filter || row.status === filter) && matches(row, query)).sort(byAttention);
  let card = $("view").querySelector(':scope > [data-view="list"]');
  // A row whose data did not change keeps its element (and the age the ticker keeps current).
  // Rows the search or a filter hides are kept too, for when they show again.
  const kept = card && state.listRows ? state.listRows : new Map(), next = new Map();
  for (const row of doc.items) {
    const key = `${row.namespace}/${row.name}`, sig = JSON.stringify(row);
    const found = kept.get(key);
    next.set(key, found && found.sig === sig ? found : { sig, node: null });
  }
  state.listRows = next;
  const nodes = rows.map((row) => {
    const entry = next.get(`${row.namespace}/${row.name}`);
    if (!entry.node) entry.node = listRow(row);
    return entry.node;
  });
  const heading = el("h2", {}, `Rollouts (${rows.length}${rows.length !== doc.items.length ? ` of ${doc.items.length}` : ""})`);
  const filters = statusFilters(doc.items, filter);
  const focused = document.activeElement && document.activeElement.matches("#rollouts tr.row") ? document.activeElement.dataset.rollout : null;
  if (!card) {
    card = el("div", { class: "card", "data-view": "list" }, el("h2"), el("div"), el("p"));
    $("view").replaceChildren(card);
  }
  const [oldHeading, oldFilters, oldContent] = card.children;
  oldHeading.replaceWith(heading);
  oldFilters.replaceWith(filters);
  if (!rows.length) {
    oldContent.replaceWith(el("p", { class: "muted" }, doc.items.length ? "No rollout matches the search and filter." : "No rollouts found."));
    return;
  }
  const table = oldContent.id === "rollouts" ? oldContent
    : el("table", { id: "rollouts", class: "list" }, el("thead", {}, el("tr", {}, LIST_HEADINGS.map((h) => el("th", { scope: "col" }, h)))), el("tbody"));
  patchChildren(table.tBodies[0], nodes);
  if (table !== oldContent) oldContent.replaceWith(table);
  if (focused && !table.contains(document.activeElement)) {
    const again = table.querySelector(`tr[data-rollout="${CSS.escape(focused)}"]`);
    if (again) again.focus();
  }
}

// ------------------------------------------------------------------ rollout page

const LABELS = { promote: "Promote", "promote-full": "Promote full", abort: "Abort", retry: "Retry", restart: "Restart", pause: "Pause", undo: "Rollback" };
const CONSEQUENCES = {
  abort: "The canary's traffic and pods go back to the stable version; the rollout stays aborted until retried.",
  "promote-full": "Every remaining step, pause and analysis is skipped: the new version takes all traffic now.",
  undo: "The pod template goes back to that revision's, which starts a new update.",
};

async function act(doc, action, label, body, destructive) {
  const question = `${label} rollout "${doc.name}" in namespace "${doc.namespace}"?`;
  if (!(await confirmDialog(question, destructive ? CONSEQUENCES[action] : null, destructive))) return;
  try {
    const response = await fetch(`api/v1/rollouts/${encodeURIComponent(doc.namespace)}/${encodeURIComponent(doc.name)}/${action}`, {
      method: "POST",
      headers: { "Content-Type": "application/json", "X-Rollouts-Token": TOKEN },
      body: JSON.stringify(body || {}),
    });
    const result = await response.json();
    // The cluster said no to this person (RBAC): a refusal, said as such ("you may not ...").
    if (response.status === 403 && result.refused) { notice(result.error, "refusal"); return; }
    if (!response.ok) throw new Error(result.error || response.statusText);
    notice(result.message);
  } catch (err) {
    notice(`${label} failed: ${err.message}`, true);
  }
}

function confirmDialog(text, consequence, destructive) {
  const dialog = $("confirm");
  $("confirm-text").textContent = clean(text);
  $("confirm-consequence").textContent = consequence ? clean(consequence) : "";
  $("confirm-consequence").hidden = !consequence;
  $("confirm-ok").className = destructive ? "danger" : "primary";
  return new Promise((resolve) => {
    dialog.addEventListener("close", () => resolve(dialog.returnValue === "ok"), { once: true });
    dialog.returnValue = "";
    dialog.showModal();
  });
}

function actionState(doc, action) {
  return (doc.actions || []).find((a) => a.action === action) || { action, enabled: true, reason: "", destructive: false };
}

function actionButton(doc, action, label, body, extra) {
  const a = actionState(doc, action);
  const button = el("button", { type: "button", "data-action": action, class: a.destructive ? "danger" : null, disabled: !a.enabled,
    "aria-disabled": String(!a.enabled), title: a.enabled ? null : a.reason, ...(extra || {}),
    onclick: () => act(doc, action, label, body, a.destructive) }, LABELS[action] || label);
  // A disabled button gets no pointer events in Chromium: the wrapper carries the reason too.
  return el("span", { class: "action", title: a.enabled ? null : a.reason }, button);
}

function summary(doc) {
  const canary = doc.strategy === "Canary";
  const fields = [
    ["Status", el("span", {}, statusIcon(doc.status), " ", el("strong", { class: `s-${doc.status}` }, doc.status), doc.message ? ` — ${doc.message}` : "")],
    ["Strategy", show(doc.strategy)],
  ];
  if (canary) {
    const current = doc.steps.find((s) => s.state === "current");
    fields.push(["Step", el("span", { id: "step", title: "steps done / steps, as get rollout shows it" }, show(doc.step),
      current ? el("span", { class: "muted" }, ` done · now step ${current.index + 1}: ${current.text}`) : null)],
      ["Set weight", doc.setWeight === "" ? "-" : `${doc.setWeight}%`],
      ["Actual weight", doc.actualWeight === "" ? "-" : `${doc.actualWeight}%`]);
  }
  fields.push(
    ["Images", el("div", {}, doc.images.map((i) => el("div", { class: "image" }, i.image, i.tags.map((t) => el("span", { class: `tag ${t}` }, t)))))],
    ["Replicas", `Desired ${doc.replicas.desired} · Current ${doc.replicas.current} · Updated ${doc.replicas.updated} · Ready ${doc.replicas.ready} · Available ${doc.replicas.available}`],
    ["Age", since(doc.creationTimestamp)],
  );
  if (doc.pauseEndsAt) fields.push(["Pause ends in", until(doc.pauseEndsAt)]);
  return el("dl", { class: "grid", id: "summary" }, fields.flatMap(([k, v]) => [el("dt", {}, k), el("dd", {}, v)]));
}

function header(doc) {
  const card = el("div", { class: "card", id: "header" },
    el("h2", { class: "title" }, statusIcon(doc.status), " ", doc.name, el("span", { class: `status-word s-${doc.status}` }, doc.status)),
    summary(doc));
  if (!READ_ONLY) {
    card.append(el("div", { class: "actions", id: "actions", role: "toolbar", "aria-label": "Actions" },
      ["promote", "promote-full", "abort", "retry", "restart", "pause"].map((action) => actionButton(doc, action, LABELS[action]))));
  }
  return card;
}

function explainCard(doc) {
  const x = doc.explain;
  if (!x) return null;
  const causes = (x.causes || []).map((c, i) => {
    const key = `${doc.namespace}/${doc.name}/${i}/${c.kind}`;
    return el("li", { class: "cause", "data-cause": c.kind },
      el("div", { class: "summary" }, c.summary),
      (c.commands || []).length ? el("div", { class: "commands" }, c.commands.map((cmd) => el("code", {}, cmd))) : null,
      (c.evidence || []).length ? el("details", { class: "evidence", open: state.openEvidence.has(key) ? "" : null,
        ontoggle: (e) => { if (e.target.open) state.openEvidence.add(key); else state.openEvidence.delete(key); } },
      el("summary", {}, `Evidence (${c.evidence.length})`), el("ul", {}, c.evidence.map((e) => el("li", {}, e)))) : null);
  });
  const next = (x.next || []).map((n) => el("li", { "data-next": n.action }, n.summary));
  return el("div", { class: "card", id: "explain" }, el("h2", {}, "Why"),
    causes.length ? el("ol", { class: "causes" }, causes) : el("p", { class: "muted" }, "Nothing stands in the rollout's way."),
    next.length ? el("div", {}, el("h3", {}, "Next"), el("ul", { class: "next" }, next)) : null,
    (x.unreadable || []).length ? el("p", { class: "muted" }, "Could not read: ", x.unreadable.join("; ")) : null);
}

function containersCard(doc) {
  const rows = doc.containers.map((c) => {
    const key = `${doc.namespace}/${doc.name}/${c.name}`;
    const input = el("input", { class: "image", "data-container": c.name, "data-key": key, "aria-label": `New image for ${c.name}`,
      oninput: (e) => state.drafts.set(key, e.target.value) });
    input.value = state.drafts.has(key) ? state.drafts.get(key) : c.image;
    const cells = [el("td", {}, c.name, c.kind !== "container" ? el("span", { class: "tag" }, c.kind) : null), el("td", { class: "image" }, c.image)];
    if (!READ_ONLY) {
      cells.push(el("td", {}, input), el("td", {}, el("button", { type: "button", "data-set-image": c.name, onclick: () => {
        const image = input.value.trim();
        if (image) act(doc, "set-image", `Set image of container "${c.name}" to "${image}" for`, { container: c.name, image }).then(() => state.drafts.delete(key));
      } }, "Set image")));
    }
    return el("tr", {}, cells);
  });
  const heads = ["Container", "Image"].concat(READ_ONLY ? [] : ["New image", ""]);
  const note = doc.workloadRef ? el("p", { class: "muted" }, `The pod template comes from Deployment "${doc.workloadRef}"; set image updates it.`) : null;
  return el("div", { class: "card" }, el("h2", {}, "Containers"), note,
    rows.length ? el("div", { class: "table-scroll" }, el("table", { id: "containers" }, el("tr", {}, heads.map((h) => el("th", {}, h))), rows)) : el("p", { class: "muted" }, "No containers in the rollout's template."));
}

const STEP_ICONS = { done: "✔", current: "▶", pending: "○" };
const KIND_ICONS = { setWeight: "⚖", pause: "‖", analysis: "∿", experiment: "⚗", setCanaryScale: "⇅", setHeaderRoute: "⇢", setMirrorRoute: "⇉", other: "•" };

function stepsCard(doc) {
  if (!doc.steps.length) return el("div", { class: "card" }, el("h2", {}, "Steps"), el("p", { class: "muted" }, "No canary steps."));
  // One convention with get rollout: "Step 1/4" is one step done of four, so step 2 (index
  // 1) is the current one, as explain says "at step 2/4". The heading counts the steps done.
  const done = doc.steps.filter((s) => s.state === "done").length;
  return el("div", { class: "card" }, el("h2", {}, "Steps ", el("span", { class: "muted", id: "steps-done" }, `${done}/${doc.steps.length} done`)),
    el("ol", { class: "steps", id: "steps" }, doc.steps.map((s) =>
      el("li", { class: s.state, "data-step": s.index, "data-kind": s.kind, "aria-current": s.state === "current" ? "step" : null },
        el("span", { class: "step-state", title: s.state === "pending" ? "to do" : s.state, "aria-label": s.state === "pending" ? "to do" : s.state }, STEP_ICONS[s.state]),
        el("span", { class: "step-kind", "aria-hidden": "true" }, KIND_ICONS[s.kind] || "•"),
        el("span", { class: "step-text" }, `${s.index + 1}. ${s.text}`),
        s.state === "current" && s.kind === "pause" && doc.pauseEndsAt ? el("span", { class: "countdown" }, " ends in ", until(doc.pauseEndsAt)) : null,
        s.state === "current" && s.kind === "pause" && !doc.pauseEndsAt && doc.status === "Paused" ? el("span", { class: "countdown" }, " waiting for promote") : null))));
}

// A pod's square: green when running and ready, amber while starting, red when failing.
function podClass(p) {
  const [ready, total] = String(p.ready).split("/").map(Number);
  if (p.status === "Running") return ready === total ? "pod-ok" : "pod-starting";
  if (p.status === "Completed" || p.status === "Succeeded") return "pod-done";
  if (p.status === "Terminating") return "pod-gone";
  if (/Pending|ContainerCreating|PodInitializing|Init:(?!Error|CrashLoop)/.test(p.status)) return "pod-starting";
  return "pod-bad";
}

function replicaSetBlock(doc, rs) {
  return el("div", { class: "rs", "data-replicaset": rs.name },
    el("div", { class: "rs-head" }, statusIcon(rs.status), " ", el("span", { class: "rs-name" }, rs.name),
      rs.tags.map((t) => el("span", { class: `tag ${t}` }, t)),
      el("span", { class: "muted" }, ` ${rs.available}/${show(rs.replicas)} available · `, since(rs.creationTimestamp))),
    el("div", { class: "muted image" }, rs.images.join(", ")),
    el("div", { class: "pods", role: "list", "aria-label": `Pods of ${rs.name}` }, rs.pods.map((p) =>
      el("span", { class: `pod ${podClass(p)}`, role: "listitem", "data-pod-square": p.name, "data-pod-status": p.status,
        title: `${p.name}: ${p.status}, ready ${p.ready}${p.restarts ? `, restarts ${p.restarts}` : ""}`,
        "aria-label": `${p.name}: ${p.status}` })),
    rs.pods.length ? null : el("span", { class: "muted" }, "no pods")),
    rs.pods.length ? el("details", { class: "pod-list", open: state.openPods.has(rs.name) ? "" : null,
      ontoggle: (e) => { if (e.target.open) state.openPods.add(rs.name); else state.openPods.delete(rs.name); } },
      el("summary", {}, `Pods (${rs.pods.length})`),
      el("table", {}, rs.pods.map((p) => el("tr", { "data-pod": p.name },
        el("td", { class: "rs-name" }, p.name), el("td", {}, el("span", { class: `pod ${podClass(p)}` }), " ", p.status),
        el("td", {}, `ready ${p.ready}`), el("td", {}, `restarts ${p.restarts}`), el("td", {}, since(p.creationTimestamp)))))) : null);
}

function revisionsCard(doc) {
  const current = doc.revisions.length ? doc.revisions[0].revision : null;
  return el("div", { class: "card", id: "revisions" }, el("h2", {}, "Revisions"), doc.revisions.map((rev) => el("div", { class: "revision", "data-revision": rev.revision },
    el("h3", {}, `Revision ${rev.revision}`, rev.revision === current ? el("span", { class: "tag" }, "current") : null,
      !READ_ONLY && rev.revision !== current ? actionButton(doc, "undo", `Roll back to revision ${rev.revision}:`, { revision: rev.revision }, { "data-undo": rev.revision }) : null),
    rev.replicaSets.map((rs) => replicaSetBlock(doc, rs)),
    (rev.experiments || []).map((e) => el("div", { class: "run-line", "data-experiment": e.name }, statusIcon(e.status), " Experiment ",
      el("a", { href: `#/experiment/${encodeURIComponent(e.namespace)}/${encodeURIComponent(e.name)}` }, e.name), el("span", { class: "muted" }, ` ${e.status}`))),
    rev.analysisRuns.map((a) => el("div", { class: "run-line", "data-run": a.name }, statusIcon(a.status), " AnalysisRun ", a.name, el("span", { class: "muted" }, ` ${a.status} · `, since(a.creationTimestamp)))))));
}

function chart(metric) {
  const { points } = metric.chart;
  const W = 520, H = 160, L = 44, R = 10, T = 10, B = 24;
  const node = svg("svg", { class: "chart", width: W, height: H, viewBox: `0 0 ${W} ${H}`, role: "img", "aria-label": `Measurements of ${clean(metric.name)}` });
  if (!points.length) {
    node.append(svg("text", { x: L, y: H / 2 }, "no numeric measurements yet"));
    return node;
  }
  // The y axis is the metric's scale (derive/trend.py, as the CLI's TREND sparkline): 0..1
  // for a ratio, else its thresholds and values from 0. It is not stretched to the points'
  // own spread, so a steady metric draws flat and a failing one sits below its threshold.
  const { low, high } = metric.chart.scale;
  const lo = low, hi = high > low ? high : low + 1;
  const times = points.map((p) => Date.parse(p.time));
  const t0 = Math.min(...times), t1 = Math.max(...times);
  const x = (t) => L + (t1 === t0 ? (W - L - R) / 2 : ((t - t0) / (t1 - t0)) * (W - L - R));
  const y = (v) => T + (1 - Math.min(1, Math.max(0, (v / 2 - lo / 2) / (hi / 2 - lo / 2) || 0))) * (H - T - B);
  node.append(svg("line", { class: "axis", x1: L, y1: T, x2: L, y2: H - B }), svg("line", { class: "axis", x1: L, y1: H - B, x2: W - R, y2: H - B }));
  node.append(svg("text", { x: 2, y: T + 8 }, hi.toPrecision(3)), svg("text", { x: 2, y: H - B }, lo.toPrecision(3)));
  node.append(svg("text", { x: L, y: H - 6 }, new Date(t0).toISOString().slice(11, 19)), svg("text", { x: W - R - 48, y: H - 6 }, new Date(t1).toISOString().slice(11, 19)));
  // A line per comparison of the value with a number in the conditions (both ends of a range).
  for (const t of metric.chart.lines) {
    const label = t.condition === "failure" ? "failure" : "success";
    node.append(svg("line", { class: `threshold ${label}`, "data-threshold": label, "data-op": t.op, "data-value": t.value, x1: L, x2: W - R, y1: y(t.value), y2: y(t.value) }),
      svg("text", { x: W - R - 110, y: y(t.value) - 3 }, `${label}: ${t.op} ${t.value}`));
  }
  node.append(svg("polyline", { class: "line", points: points.map((p, i) => `${x(times[i])},${y(p.value)}`).join(" ") }));
  points.forEach((p, i) => node.append(svg("circle", { class: `pt-${clean(p.phase)}`, cx: x(times[i]), cy: y(p.value), r: 3.5 },
    svg("title", {}, `${p.time}: ${p.value} (${p.phase})`))));
  return node;
}

function limit(n) { return n < 0 ? "∞" : String(n); }

function when(timestamp) {
  if (!timestamp) return "-";
  const t = new Date(timestamp);
  return Number.isNaN(t.getTime()) ? timestamp : t.toISOString().replace("T", " ").replace(/\.\d+Z$|Z$/, " UTC");
}

function measurementsTable(m) {
  if (!m.measurements.length) return el("p", { class: "muted" }, "Not yet measured.");
  return el("div", { class: "table-scroll" }, el("table", { class: "measurements", "data-measurements": m.name },
    el("thead", {}, el("tr", {}, ["Time", "Value", "Phase", "Message"].map((h) => el("th", { scope: "col" }, h)))),
    el("tbody", {}, m.measurements.map((x) => el("tr", { class: `phase-${clean(x.phase)}` },
      el("td", { class: "time" }, when(x.finishedAt || x.startedAt)),
      el("td", { class: "value" }, x.value === "" ? "-" : x.value),
      el("td", {}, statusIcon(x.phase), " ", x.phase || "-"),
      el("td", {}, x.message || ""))))));
}

function metricBlock(m) {
  return el("div", { class: "metric", "data-metric": m.name },
    el("div", { class: "metric-head" }, statusIcon(m.phase), el("strong", {}, m.name), ` ${m.phase || "Pending"}`, m.dryRun ? el("span", { class: "tag" }, "dry-run") : null,
      m.interval ? el("span", { class: "muted" }, ` every ${m.interval}`) : null),
    el("dl", { class: "grid conditions" },
      m.successCondition ? [el("dt", {}, "Success when"), el("dd", {}, el("code", {}, m.successCondition))] : null,
      m.failureCondition ? [el("dt", {}, "Failure when"), el("dd", {}, el("code", {}, m.failureCondition))] : null,
      el("dt", {}, "Limits"),
      el("dd", { class: "counts" },
        el("span", {}, `measurements ${m.counts.count}`), el("span", {}, `successful ${m.counts.successful}`),
        el("span", {}, `failed ${m.counts.failed} / limit ${limit(m.limits.failureLimit)}`),
        el("span", {}, `inconclusive ${m.counts.inconclusive} / limit ${limit(m.limits.inconclusiveLimit)}`),
        el("span", {}, `errors ${m.counts.consecutiveError} / limit ${limit(m.limits.consecutiveErrorLimit)}`)),
      m.query ? [el("dt", {}, "Query"), el("dd", {}, m.queryResolved
        ? el("pre", { class: "query" }, m.query)
        : el("span", { class: "muted unresolved" }, "not yet measured (the query's args are resolved at the first measurement)"))] : null),
    m.message ? el("div", { class: "muted" }, m.message) : null,
    el("div", { class: "metric-body" }, chart(m), measurementsTable(m)));
}

function analysisCard(doc) {
  const runs = doc.analysis.map((run) => el("div", { class: "run", "data-analysisrun": run.name },
    el("h3", {}, statusIcon(run.phase), ` ${run.name}`, el("span", { class: "muted" }, ` revision ${run.revision} · ${run.phase}${run.message ? " — " + run.message : ""}`)),
    run.args.length ? el("div", { class: "muted args" }, "Args: ", run.args.flatMap((a, i) => [i ? ", " : "", `${a.name}=`,
      a.resolved === false ? el("em", { class: "unresolved" }, "not yet measured") : a.value])) : null,
    run.metrics.map(metricBlock)));
  return el("div", { class: "card", id: "analysis" }, el("h2", {}, "Analysis"), runs.length ? runs : el("p", { class: "muted" }, "No AnalysisRuns."));
}

// The CLI's `history` (derive/history.py): each revision newest first, how it ended, its
// steps and its runs' last values, and the sentence that explains it.
function historyCard(doc) {
  const revisions = (doc.history && doc.history.revisions) || [];
  const metric = (m) => `${m.name}=${m.lastValue || "no value"} (${m.phase})`;
  return el("div", { class: "card", id: "history" }, el("h2", {}, "History"),
    revisions.length ? el("ol", { class: "history" }, revisions.map((rev) => el("li", { "data-history-revision": rev.revision, "data-outcome": rev.outcome },
      el("div", { class: "history-head" }, el("strong", {}, `Revision ${rev.revision}`), " ",
        el("span", { class: `tag outcome-${rev.outcome.replace(/\s+/g, "-")}` }, rev.outcome),
        el("span", { class: "muted" }, ` ${when(rev.startedAt)} → ${rev.endedAt ? when(rev.endedAt) : "now"}${rev.duration ? ` (${rev.duration})` : ""}`)),
      el("div", { class: "muted image" }, rev.images.join(", ") || "-"),
      rev.steps.length ? el("div", { class: "history-steps" }, rev.steps.flatMap((s, i) => [i ? " | " : "",
        el("span", { class: `history-step ${s.state.replace(/\s+/g, "-")}`, title: s.state }, s.step + (s.duration ? ` ${s.duration}` : "") + (s.state === "done" ? "" : ` [${s.state}]`))])) : null,
      rev.analysisRuns.map((run) => el("div", { class: "run-line", "data-history-run": run.name }, statusIcon(run.phase || "Pending"), ` ${run.name} ${run.phase || "Pending"}`,
        run.metrics.length ? `: ${run.metrics.map(metric).join(", ")}` : "")),
      rev.explanation ? el("p", { class: "explanation" }, rev.explanation) : null)))
      : el("p", { class: "muted" }, "No revisions."));
}

function renderRollout(doc) {
  state.doc = doc;
  $("search-field").hidden = true;
  const active = document.activeElement;
  const focused = active && active.dataset ? active.dataset.key || (active.dataset.action && `action:${active.dataset.action}`) : null;
  const view = el("div", { "data-view": "rollout" },
    el("p", { class: "back" }, el("a", { href: "#/" }, "← All rollouts")),
    header(doc),
    explainCard(doc),
    el("div", { class: "columns" }, el("div", {}, stepsCard(doc)), el("div", {}, revisionsCard(doc))),
    analysisCard(doc),
    historyCard(doc),
    containersCard(doc));
  $("view").replaceChildren(view);
  if (focused) {
    const again = focused.startsWith("action:")
      ? $("view").querySelector(`button[data-action="${CSS.escape(focused.slice(7))}"]`)
      : $("view").querySelector(`input[data-key="${CSS.escape(focused)}"]`);
    if (again) again.focus();
  }
}

// ------------------------------------------------------------------ experiments

function showNav(page) {
  for (const link of document.querySelectorAll("#nav a")) {
    const current = link.dataset.page === (page === "rollout" ? "list" : page === "experiment" ? "experiments" : page);
    if (current) link.setAttribute("aria-current", "page"); else link.removeAttribute("aria-current");
  }
}

function experimentHref(x) {
  return `#/experiment/${encodeURIComponent(x.namespace)}/${encodeURIComponent(x.name)}`;
}

function renderExperiments(doc) {
  state.doc = doc;
  $("search-field").hidden = true;
  const rows = [...doc.items].sort(byAttention);
  const head = el("tr", {}, ["Status", "Name", "Namespace", "Rollout", "Duration", "Remaining", "Age"].map((h) => el("th", { scope: "col" }, h)));
  const body = rows.map((x) => el("tr", { class: "row", "data-experiment": x.name, tabindex: "0", onclick: () => { location.hash = experimentHref(x); },
    onkeydown: (e) => { if (e.key === "Enter") location.hash = experimentHref(x); } },
    el("td", { class: "status-cell" }, statusIcon(x.status), " ", el("span", { class: `status-word s-${x.status}` }, x.status || "Pending")),
    el("td", {}, el("a", { href: experimentHref(x), tabindex: "-1" }, x.name)),
    el("td", { "data-label": "Namespace" }, x.namespace),
    el("td", { "data-label": "Rollout" }, x.rollout ? el("a", { href: `#/rollout/${encodeURIComponent(x.namespace)}/${encodeURIComponent(x.rollout)}`, onclick: (e) => e.stopPropagation() }, x.rollout) : "-"),
    el("td", { "data-label": "Duration" }, show(x.duration)),
    el("td", { "data-label": "Remaining" }, show(x.remaining)),
    el("td", { class: "age", "data-label": "Age" }, since(x.creationTimestamp))));
  $("view").replaceChildren(el("div", { class: "card" }, el("h2", {}, `Experiments (${rows.length})`),
    rows.length ? el("table", { id: "experiments", class: "list" }, el("thead", {}, head), el("tbody", {}, body)) : el("p", { class: "muted" }, "No experiments found.")));
}

function renderExperiment(doc) {
  state.doc = doc;
  $("search-field").hidden = true;
  const fields = [
    ["Status", el("span", {}, statusIcon(doc.status), " ", el("strong", { class: `s-${doc.status}` }, doc.status || "Pending"), doc.message ? ` — ${doc.message}` : "")],
    ["Rollout", doc.rollout ? el("a", { href: `#/rollout/${encodeURIComponent(doc.namespace)}/${encodeURIComponent(doc.rollout)}` }, doc.rollout) : "-"],
    ["Duration", show(doc.duration)], ["Remaining", show(doc.remaining)],
    ["Templates", doc.templates.map((t) => `${t.name} ×${t.replicas}`).join(", ") || "-"],
    ["Images", el("div", {}, doc.images.map((i) => el("div", { class: "image" }, i.image, i.tags.map((t) => el("span", { class: "tag" }, t)))))],
    ["Age", since(doc.creationTimestamp)],
  ];
  const view = el("div", { "data-view": "experiment" },
    el("p", { class: "back" }, el("a", { href: "#/experiments" }, "← All experiments")),
    el("div", { class: "card", id: "header" },
      el("h2", { class: "title" }, statusIcon(doc.status), " ", doc.name, el("span", { class: `status-word s-${doc.status}` }, doc.status || "Pending")),
      el("dl", { class: "grid", id: "summary" }, fields.flatMap(([k, v]) => [el("dt", {}, k), el("dd", {}, v)]))),
    el("div", { class: "card", id: "replicasets" }, el("h2", {}, "ReplicaSets"),
      doc.replicaSets.length ? doc.replicaSets.map((rs) => replicaSetBlock(doc, rs)) : el("p", { class: "muted" }, "No ReplicaSets yet.")),
    analysisCard(doc));
  $("view").replaceChildren(view);
}

// ------------------------------------------------------------------ keyboard

// "/" searches, j/k or the arrows move between rows, Enter opens one, Escape goes back.
function onKey(e) {
  const typing = e.target instanceof HTMLInputElement || e.target instanceof HTMLSelectElement || e.target instanceof HTMLTextAreaElement;
  if ($("confirm").open) return;
  if (e.key === "/" && !typing) { e.preventDefault(); $("search").focus(); return; }
  if (e.key === "Escape") {
    if (typing) { e.target.blur(); return; }
    const page = route().page;
    if (page === "rollout") location.hash = "#/";
    else if (page === "experiment") location.hash = "#/experiments";
    return;
  }
  const page = route().page;
  if (typing || (page !== "list" && page !== "experiments")) return;
  const down = e.key === "j" || e.key === "ArrowDown", up = e.key === "k" || e.key === "ArrowUp";
  if (!down && !up) return;
  const rows = [...document.querySelectorAll("#rollouts tr.row, #experiments tr.row")];
  if (!rows.length) return;
  const at = rows.indexOf(document.activeElement);
  const next = at < 0 ? 0 : Math.min(rows.length - 1, Math.max(0, at + (down ? 1 : -1)));
  e.preventDefault();
  rows[next].focus();
}

// ------------------------------------------------------------------ start

window.addEventListener("hashchange", () => refresh());
document.addEventListener("keydown", onKey);
$("search").addEventListener("input", () => { if (state.doc && route().page === "list") renderList(state.doc); });
$("namespace").addEventListener("change", () => { location.hash = route().page.startsWith("experiment") ? "#/experiments" : "#/"; refresh(); });
connect();
refresh();
setInterval(tick, TICK_MS);
