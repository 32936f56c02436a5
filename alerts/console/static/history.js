// History and the 台账 (issue 11.8): closed incidents with filters (dates, compound, kind,
// outcome), paged; the export to Excel (every sheet: incidents, work orders, hazards,
// patrols) and CSV with the same filters, in the page's language.
import { html, useEffect, useState } from "./lib.js";
import { api } from "./api.js";
import { clock, currentLang, mmss, placeWords, t } from "./i18n.js";
import { Story } from "./story.js";

const KINDS = ["fire", "fire_pre_alarm", "thermal_runaway", "smoke_near_charging", "charging_overcurrent",
  "socket_over_temperature", "door_held_open", "door_forced", "fire_door_open_in_fire", "ebike_in_lift"];
const OUTCOMES = ["real_fire", "false_alarm", "test"];

function query(filters, extra = {}) {
  const all = { ...filters, ...extra };
  return new URLSearchParams(Object.entries(all).filter(([, v]) => v)).toString();
}

function seconds(from, to) {
  return to ? mmss((Date.parse(to) - Date.parse(from)) / 1000) : "—";
}

function Row({ inc }) {
  const tz = inc.place.compound.timezone;
  const [open, setOpen] = useState(false);
  return html`<li class="order history-row" data-key=${inc.incident_key}>
    <div class="card-head">
      <span class=${`badge ${inc.severity}`}>${t(`kind.${inc.kind}`)}</span>
      <span class="state">${inc.outcome ? t(`outcome.${inc.outcome}`) : ""}</span>
      <time class="opened">${clock(inc.opened_at, tz, 0)}</time>
    </div>
    <p class="place">${placeWords(inc.place.parts)}</p>
    <p class="where">${t("sla.ack")} ${seconds(inc.opened_at, inc.acknowledged_at)} · ${t("sla.scene")} ${seconds(inc.opened_at, inc.on_scene_at)}${inc.assignee ? ` · ${t("detail.assignee")} ${inc.assignee.name}` : ""}</p>
    <details class="details" onToggle=${(ev) => setOpen(ev.currentTarget.open)}>
      <summary>${t("story.title")}</summary>
      ${open && html`<${Story} inc=${inc} />`}
    </details>
  </li>`;
}

function Select({ name, value, options, label, onChange }) {
  return html`<label>${t(label)}<select name=${name} value=${value} onChange=${(ev) => onChange(name, ev.currentTarget.value)}>
    <option value="">${t("history.all")}</option>
    ${options.map(([v, words]) => html`<option key=${v} value=${v}>${words}</option>`)}
  </select></label>`;
}

export function History({ me }) {
  const [filters, setFilters] = useState({ since: "", until: "", compound: "", kind: "", outcome: "" });
  const [page, setPage] = useState(1);
  const [result, setResult] = useState(null);
  const [error, setError] = useState("");
  const search = async (wanted = page) => {
    try {
      setResult(await api(`/api/history?${query(filters, { page: String(wanted) })}`));
      setPage(wanted);
      setError("");
    } catch (err) {
      setError(t(`error.${err.code || "network"}`));
    }
  };
  useEffect(() => { search(1); }, []);
  const set = (name, value) => setFilters((old) => ({ ...old, [name]: value }));
  const pages = result ? Math.max(1, Math.ceil(result.total / result.per_page)) : 1;
  const lang = currentLang();
  return html`<section id="history-pane" class="pane">
    <h2>${t("history.title")}</h2>
    <form class="filters" onSubmit=${(ev) => { ev.preventDefault(); search(1); }}>
      <label>${t("history.since")}<input type="date" name="since" value=${filters.since} onInput=${(ev) => set("since", ev.currentTarget.value)} /></label>
      <label>${t("history.until")}<input type="date" name="until" value=${filters.until} onInput=${(ev) => set("until", ev.currentTarget.value)} /></label>
      <${Select} name="compound" label="history.compound" value=${filters.compound} options=${me.compounds.map((c) => [c, c])} onChange=${set} />
      <${Select} name="kind" label="history.kind" value=${filters.kind} options=${KINDS.map((k) => [k, t(`kind.${k}`)])} onChange=${set} />
      <${Select} name="outcome" label="history.outcome" value=${filters.outcome} options=${OUTCOMES.map((o) => [o, t(`outcome.${o}`)])} onChange=${set} />
      <button type="submit" id="history-search">${t("history.search")}</button>
    </form>
    <p class="exports">
      <a class="button" id="export-xlsx" href=${`/api/export.xlsx?${query(filters, { lang })}`} download>${t("history.export_xlsx")}</a>
      <a class="button" id="export-csv" href=${`/api/export.csv?${query(filters, { lang })}`} download>${t("history.export_csv")}</a>
    </p>
    ${error && html`<p class="error">${error}</p>`}
    ${result && result.total === 0 && html`<p class="empty">${t("history.empty")}</p>`}
    ${result && result.total > 0 && html`<p class="hint" id="history-count">${t("history.count", { total: result.total, page, pages })}</p>`}
    <ol class="orders" id="history">${(result ? result.items : []).map((inc) => html`<${Row} key=${inc.incident_key} inc=${inc} />`)}</ol>
    ${pages > 1 && html`<div class="pager">
      <button type="button" disabled=${page <= 1} onClick=${() => search(page - 1)}>${t("history.prev")}</button>
      <button type="button" disabled=${page >= pages} onClick=${() => search(page + 1)}>${t("history.next")}</button>
    </div>`}
  </section>`;
}
