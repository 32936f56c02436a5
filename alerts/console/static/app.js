"use strict";
// Duty console: sign in, live incident list over server-sent events, SLA countdowns, actions,
// and the compound's site plan drawn from registry coordinates (no external map tiles).
const state = { incidents: new Map(), selected: null, me: null, source: null };
const $ = (id) => document.getElementById(id);

async function api(path, body) {
  const opts = body === undefined ? {} : {
    method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body),
  };
  const res = await fetch(path, opts);
  if (!res.ok) throw new Error(await res.text());
  return res.json();
}

async function start() {
  try {
    state.me = await api("/api/me");
  } catch (_err) {
    $("signin").hidden = false;
    $("console").hidden = true;
    return;
  }
  $("signin").hidden = true;
  $("console").hidden = false;
  $("who").innerHTML = "";
  const who = document.createElement("span");
  who.id = "who-name";
  who.textContent = `${state.me.name} (${state.me.member_id}, ${state.me.scope} ${state.me.scope_id})`;
  const out = document.createElement("button");
  out.textContent = "Sign out";
  out.onclick = async () => { await api("/api/logout", {}); location.reload(); };
  $("who").append(who, out);
  connect();
}

function connect() {
  const source = new EventSource("/api/stream");
  state.source = source;
  source.addEventListener("open", () => { $("live").textContent = "live"; $("live").classList.add("on"); });
  source.addEventListener("error", () => { $("live").textContent = "reconnecting"; $("live").classList.remove("on"); });
  source.addEventListener("snapshot", (ev) => {
    state.incidents = new Map(JSON.parse(ev.data).map((i) => [i.incident_key, i]));
    render();
  });
  source.addEventListener("incident", (ev) => {
    const inc = JSON.parse(ev.data);
    if (inc.is_open) state.incidents.set(inc.incident_key, inc);
    else state.incidents.delete(inc.incident_key);
    render();
  });
}

function countdown(label, dueIso, doneIso) {
  if (!dueIso) return "";
  if (doneIso) return `${label}: done`;
  const left = Math.round((Date.parse(dueIso) - Date.now()) / 1000);
  const text = left >= 0 ? `${left} s left` : `${-left} s LATE`;
  return `${label}: <span class="${left < 0 ? "late" : ""}">${text}</span>`;
}

const BUTTONS = [
  ["acknowledge", "Acknowledge"], ["on_scene", "On scene"], ["confirm", "Confirm fire"],
  ["deny", "False alarm"], ["resolve", "Resolve"], ["mute", "Mute"],
];

// Mirrors alerts/lifecycle.py: which actions each state allows (the server re-checks).
const ALLOWED = {
  raised: ["acknowledge", "mute"],
  dispatched: ["acknowledge", "on_scene", "confirm", "deny", "mute"],
  acknowledged: ["on_scene", "confirm", "deny", "resolve", "mute"],
  on_scene: ["confirm", "deny", "resolve", "mute"],
  assessed: ["resolve", "mute"],
};

function card(inc) {
  const li = document.createElement("li");
  li.className = `incident ${inc.severity}` + (state.selected === inc.incident_key ? " selected" : "");
  li.dataset.key = inc.incident_key;
  li.innerHTML = `
    <div class="title">${inc.severity} ${inc.kind.replaceAll("_", " ")} — ${inc.compound_id} ${inc.building_id || ""}</div>
    <div>${escapeHtml(inc.summary)} <span class="state ${inc.state}">${inc.state}</span>${inc.is_muted ? " 🔇 muted" : ""}</div>
    <div class="sla" data-sla></div>
    <div class="buttons"></div>
    <div class="resolve">
      <select data-outcome><option value="false_alarm">false alarm</option><option value="real_fire">real fire</option><option value="test">test</option></select>
      <input data-cause placeholder="cause of false alarm">
    </div>
    <p class="error" data-error></p>`;
  const buttons = li.querySelector(".buttons");
  for (const [action, label] of BUTTONS) {
    const b = document.createElement("button");
    b.textContent = label;
    b.dataset.action = action;
    b.disabled = !(ALLOWED[inc.state] || []).includes(action);
    b.onclick = (ev) => { ev.stopPropagation(); act(inc, action, li); };
    buttons.append(b);
  }
  for (const el of li.querySelectorAll("select, input")) el.onclick = (ev) => ev.stopPropagation();
  li.onclick = () => { state.selected = inc.incident_key; render(); };
  return li;
}

async function act(inc, action, li) {
  const body = { incident_key: inc.incident_key, action };
  if (action === "resolve") {
    body.outcome = li.querySelector("[data-outcome]").value;
    body.cause = li.querySelector("[data-cause]").value;
  }
  try {
    const updated = await api("/api/action", body);
    if (updated.is_open) state.incidents.set(updated.incident_key, updated);
    else state.incidents.delete(updated.incident_key);
    render();
  } catch (err) {
    li.querySelector("[data-error]").textContent = err.message;
  }
}

function render() {
  const list = $("incidents");
  list.innerHTML = "";
  const items = [...state.incidents.values()].sort((a, b) => a.severity.localeCompare(b.severity) || a.opened_at.localeCompare(b.opened_at));
  $("empty").hidden = items.length > 0;
  if (!state.selected || !state.incidents.has(state.selected)) state.selected = items.length ? items[0].incident_key : null;
  for (const inc of items) list.append(card(inc));
  tick();
  drawPlan(state.incidents.get(state.selected));
}

function tick() {
  for (const li of document.querySelectorAll("li.incident")) {
    const inc = state.incidents.get(li.dataset.key);
    if (!inc) continue;
    li.querySelector("[data-sla]").innerHTML = [
      countdown("acknowledge", inc.ack_due_at, inc.acknowledged_at),
      countdown("on scene", inc.scene_due_at, inc.on_scene_at),
    ].filter(Boolean).join(" · ");
  }
}

let planFor = null;
async function drawPlan(inc) {
  const svg = $("plan");
  if (!inc) { svg.innerHTML = ""; $("plan-title").textContent = "Site plan"; $("reason").textContent = ""; planFor = null; return; }
  $("reason").textContent = `Dispatch: ${inc.dispatch_reason}`;
  const key = `${inc.compound_id}|${inc.building_id}`;
  if (planFor === key) return;
  planFor = key;
  const plan = await api(`/api/siteplan/${encodeURIComponent(inc.compound_id)}`);
  $("plan-title").textContent = `Site plan: ${plan.name}`;
  svg.setAttribute("viewBox", `0 0 ${plan.width_m} ${plan.depth_m}`);
  const parts = [];
  for (const b of plan.buildings) {
    // Registry y grows northwards; SVG y grows downwards.
    const y = plan.depth_m - b.y_m - b.depth_m;
    const cls = b.building_id === inc.building_id ? "building alarm" : "building";
    parts.push(`<rect class="${cls}" data-building="${b.building_id}" x="${b.x_m}" y="${y}" width="${b.width_m}" height="${b.depth_m}"></rect>`);
    parts.push(`<text x="${b.x_m + 1.5}" y="${y + b.depth_m / 2 + 1.5}">${escapeHtml(b.name)} (${b.building_id})</text>`);
  }
  svg.innerHTML = parts.join("");
}

function escapeHtml(text) {
  return String(text).replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c]);
}

$("signin-form").addEventListener("submit", async (ev) => {
  ev.preventDefault();
  try {
    await api("/api/login", { member_id: $("member").value, password: $("password").value });
    await start();
  } catch (err) {
    $("signin-error").textContent = "Sign-in failed: " + err.message;
  }
});
setInterval(tick, 1000);
start();
