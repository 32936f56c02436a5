// Duty console: sign in, the live incident list (server-sent events), attention until
// answered, safe actions with an undo window, plans. Chinese first (issue 11).
import { html, render, useEffect, useRef, useState } from "./lib.js";
import { api, ApiError, setCsrf } from "./api.js";
import { Alarm } from "./alarm.js";
import { Card, UNDOABLE } from "./cards.js";
import { currentLang, LANGS, loadLang, placeWords, storedLang, t } from "./i18n.js";
import { Hazards } from "./hazards.js";
import { History } from "./history.js";
import { isUrgent, order, setMe as pinFor } from "./order.js";
import { PlanPane } from "./plans-pane.js";
import { WorkOrders } from "./work.js";

// Duty first; maintenance, hazards and history each in their own view (never the alarm list).
const TABS = ["incidents", "work_orders", "hazards", "history"];

function Nav({ tab, onTab, count }) {
  return html`<nav class="tabs" aria-label="views">${TABS.map((name) => html`<button type="button" key=${name}
      data-tab=${name} class=${`tab${tab === name ? " on" : ""}`} aria-current=${tab === name ? "page" : undefined}
      onClick=${() => onTab(name)}>${t(`nav.${name}`)}${name === "incidents" && count ? html` <span class="count">${count}</span>` : ""}</button>`)}</nav>`;
}

function errorWords(err) {
  if (err instanceof ApiError && err.code === "throttled") return t("error.throttled", { s: err.retryAfter || "?" });
  if (err instanceof ApiError) return t(`error.${err.code}`);
  return t("error.network");
}

function SignIn({ onDone }) {
  const [error, setError] = useState("");
  const submit = async (ev) => {
    ev.preventDefault();
    const form = ev.currentTarget;
    try {
      const res = await api("/api/login", { member_id: form.member.value, password: form.password.value });
      setCsrf(res.csrf);
      await onDone();
    } catch (err) {
      setError(err instanceof ApiError && err.code === "unauthorized" ? t("error.signin_failed") : errorWords(err));
    }
  };
  return html`<section id="signin"><form id="signin-form" onSubmit=${submit}>
    <h2>${t("signin.title")}</h2>
    <label>${t("signin.member")}<input id="member" name="member" autocomplete="username" autocapitalize="off" required /></label>
    <label>${t("signin.password")}<input id="password" name="password" type="password" autocomplete="current-password" required /></label>
    <button type="submit" id="signin-button">${t("signin.submit")}</button>
    <p id="signin-error" class="error" role="alert">${error}</p>
  </form></section>`;
}

function Header({ me, live, alarm, onLang, onSignOut }) {
  const other = LANGS.find((l) => l !== currentLang());
  let sound = t("sound.enable");
  if (alarm.soundOn) sound = alarm.ringing ? t("sound.ringing") : t("sound.on");
  return html`<header>
    <h1>${t("app.title")}</h1>
    ${me && html`<span id="live" class=${`live${live ? " on" : ""}`}>${live ? t("live.on") : t("live.off")}</span>`}
    <div class="tools">
      ${me && html`<button type="button" id="sound" class=${`sound${alarm.soundOn ? " on" : ""}${alarm.ringing ? " ringing" : ""}`} onClick=${() => alarm.enable()}>${sound}</button>`}
      <button type="button" id="lang" lang=${other} onClick=${() => onLang(other)}>${t("lang.other")}</button>
      ${me && html`<span id="who-name">${me.name} · ${t(`role.${me.role}`)} (${me.member_id})</span>`}
      ${me && html`<button type="button" id="signout" onClick=${onSignOut}>${t("signout")}</button>`}
    </div>
  </header>`;
}

function useTicker(ms) {
  const [now, setNow] = useState(Date.now());
  useEffect(() => { const id = setInterval(() => setNow(Date.now()), ms); return () => clearInterval(id); }, []);
  return now;
}

function Console({ me, alarm, onLive, onSignedOut }) {
  const [incidents, setIncidents] = useState(new Map());
  const [selected, setSelected] = useState(null);
  const [pending, setPending] = useState(new Map());
  const [errors, setErrors] = useState(new Map());
  const [tab, setTab] = useState("incidents");
  const moved = useRef(new Map());
  const seenUrgent = useRef(new Set());
  const now = useTicker(500);

  const put = (inc) => setIncidents((old) => {
    const next = new Map(old);
    if (inc.is_open) next.set(inc.incident_key, inc); else next.delete(inc.incident_key);
    return next;
  });

  useEffect(() => {
    const source = new EventSource("/api/stream");
    source.addEventListener("open", () => onLive(true));
    source.addEventListener("error", async () => {
      onLive(false);
      try { await api("/api/me"); } catch (err) { if (err.status === 401) { source.close(); onSignedOut(); } }
    });
    source.addEventListener("snapshot", (ev) => setIncidents(new Map(JSON.parse(ev.data).map((i) => [i.incident_key, i]))));
    source.addEventListener("incident", (ev) => put(JSON.parse(ev.data)));
    return () => source.close();
  }, []);

  const items = order(incidents.values());
  useEffect(() => {
    const urgent = items.filter(isUrgent);
    alarm.update(urgent, (inc) => ({
      title: t("title.flash", { kind: t(`kind.${inc.kind}`), place: placeWords(inc.place.parts) }),
      body: placeWords(inc.place.parts),
      heading: t("notify.title", { severity: t(`severity.${inc.severity}`), kind: t(`kind.${inc.kind}`) }),
    }));
    // A new unanswered P1 brings the alarm list back, whatever view was open (issue 11.3).
    const fresh = urgent.some((inc) => !seenUrgent.current.has(inc.incident_key));
    seenUrgent.current = new Set(urgent.map((inc) => inc.incident_key));
    if (fresh) setTab("incidents");
  }, [incidents]);

  // A card that moved (a new one pushed it) ignores taps on its buttons for settle_ms.
  const at = performance.now();
  items.forEach((inc, index) => {
    const last = moved.current.get(inc.incident_key);
    if (!last || last.index !== index) moved.current.set(inc.incident_key, { index, until: at + me.settle_ms });
  });

  const send = async (inc, action, extra) => {
    setPending((old) => { const next = new Map(old); next.delete(inc.incident_key); return next; });
    try {
      put(await api("/api/action", { incident_key: inc.incident_key, action, ...extra }));
      setErrors((old) => { const next = new Map(old); next.delete(inc.incident_key); return next; });
    } catch (err) {
      setErrors((old) => new Map(old).set(inc.incident_key, errorWords(err)));
    }
  };
  const act = (inc, action, extra) => {
    if (!UNDOABLE.has(action) || me.undo_window_s <= 0) { send(inc, action, extra); return; }
    const sendAt = Date.now() + me.undo_window_s * 1000;
    const timer = setTimeout(() => send(inc, action, extra), me.undo_window_s * 1000);
    setPending((old) => new Map(old).set(inc.incident_key, { action, sendAt, timer }));
  };
  const undo = (inc) => setPending((old) => {
    const next = new Map(old);
    clearTimeout(next.get(inc.incident_key)?.timer);
    next.delete(inc.incident_key);
    return next;
  });

  const current = incidents.get(selected) || items[0] || null;
  const tz = current ? current.place.compound.timezone : "Asia/Shanghai";
  const nav = html`<${Nav} tab=${tab} onTab=${setTab} count=${items.length} />`;
  if (tab === "work_orders") return html`${nav}<main id="console" class="single"><${WorkOrders} now=${now} /></main>`;
  if (tab === "hazards") return html`${nav}<main id="console" class="single"><${Hazards} now=${now} timezone=${tz} /></main>`;
  if (tab === "history") return html`${nav}<main id="console" class="single"><${History} me=${me} /></main>`;
  return html`${nav}<main id="console">
    <section id="list-pane" class="pane">
      <h2>${t("list.title")} <span class="count">${items.length}</span></h2>
      ${items.length === 0 && html`<p id="empty">${t("list.empty")}</p>`}
      <ol id="incidents">${items.map((inc) => html`<${Card} key=${inc.incident_key} inc=${inc}
          selected=${current && current.incident_key === inc.incident_key} onSelect=${setSelected} now=${now} me=${me} onChanged=${put}
          settledAt=${moved.current.get(inc.incident_key).until} settleMs=${me.settle_ms}
          pending=${pending.get(inc.incident_key)} error=${errors.get(inc.incident_key)}
          onAct=${(action, extra) => act(inc, action, extra)} onUndo=${() => undo(inc)} />`)}</ol>
    </section>
    <${PlanPane} inc=${current} />
  </main>`;
}

function App() {
  const [phase, setPhase] = useState("loading");
  const [me, setMe] = useState(null);
  const [live, setLive] = useState(false);
  const [, redraw] = useState(0);
  const alarm = useRef(null);
  if (alarm.current === null) alarm.current = new Alarm(() => redraw((n) => n + 1));

  const whoAmI = async () => {
    try {
      const who = await api("/api/me");
      setCsrf(who.csrf);
      setMe(who);
      pinFor(who.member_id);
      setPhase("console");
      // The sign-in tap is a user gesture: sound can start now without a second tap.
      alarm.current.enable();
    } catch (_err) {
      setMe(null);
      setPhase("signin");
    }
  };
  useEffect(() => { whoAmI(); }, []);
  const switchLang = async (lang) => {
    await loadLang(lang);
    document.title = t("app.title");
    alarm.current.baseTitle = document.title;
    redraw((n) => n + 1);
  };
  const signOut = async () => {
    try { await api("/api/logout", {}); } finally { setMe(null); setPhase("signin"); }
  };
  return html`
    <${Header} me=${me} live=${live} alarm=${alarm.current} onLang=${switchLang} onSignOut=${signOut} />
    ${phase === "signin" && html`<${SignIn} onDone=${whoAmI} />`}
    ${phase === "console" && me && html`<${Console} me=${me} alarm=${alarm.current} onLive=${setLive} onSignedOut=${() => { setMe(null); setPhase("signin"); }} />`}`;
}

async function main() {
  await loadLang(storedLang());
  document.title = t("app.title");
  render(html`<${App} />`, document.getElementById("app"));
}
main();
