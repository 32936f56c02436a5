// One hazard opened on the console (issue 18.4): its story, its photos (the resident's and
// the rectification's), and the step its state allows -- triage, dismiss, assign with a
// deadline, re-inspect or reject, close. Each step is sent to the hazard desk through the
// console (one sign-in); the desk decides whether the member's role may take it.
import { html, useEffect, useState } from "./lib.js";
import { api } from "./api.js";
import { clock, t } from "./i18n.js";

const STEPS = {
  found: ["triage", "dismiss"],
  triaged: ["assign", "triage", "dismiss"],
  assigned: ["assign"],
  rectified: ["reinspect", "reject"],
  reinspected: ["close", "reopen"],
  closed: ["reopen"],
};
const NEEDS_NOTE = new Set(["dismiss", "reject", "reopen"]);
const ACTORS = new Set(["resident", "escalation"]);  // the desk's own actors, not members

function Fields({ action, form, set }) {
  const input = (name, type = "text") => html`<input name=${name} type=${type} value=${form[name] || ""} onInput=${(ev) => set(name, ev.currentTarget.value)} />`;
  const pick = (name, values, prefix) => html`<select name=${name} value=${form[name] || ""} onChange=${(ev) => set(name, ev.currentTarget.value)}>
    <option value="">—</option>${values.map((v) => html`<option key=${v} value=${v}>${t(`${prefix}.${v}`)}</option>`)}</select>`;
  return html`<div class="step-fields">
    ${action === "triage" && html`<label>${t("hazard.severity")}${pick("severity", ["major", "general"], "hazard.severity")}</label>
      <label>${t("hazard.owner_kind")}${pick("owner_kind", ["property_company", "household", "department"], "hazard.owner")}</label>
      <label>${t("hazard.owner_name")}${input("owner_name")}</label>`}
    ${(action === "assign" || action === "reject") && html`<label>${t("hazard.assignee")}${input("assignee")}</label>
      <label>${t("hazard.deadline")}${input("deadline", "date")}</label>`}
    <label>${NEEDS_NOTE.has(action) ? t("hazard.reason") : t("hazard.note")}${input("note")}</label>
  </div>`;
}

function body(hazard, action, form) {
  const out = { hazard_id: hazard.hazard_id, action, note: form.note || "" };
  if (action === "triage") {
    out.severity = form.severity || null;
    out.owner = form.owner_kind && form.owner_name ? { kind: form.owner_kind, name: form.owner_name } : null;
  }
  if (action === "assign" || action === "reject") {
    if (form.assignee) out.assignee = form.assignee;
    // The console turns the day into 23:59 there, in the hazard's compound's time zone.
    if (form.deadline) out.deadline_day = form.deadline;
  }
  return out;
}

export function HazardSteps({ hazard, timezone, onChanged }) {
  const [detail, setDetail] = useState(null);
  const [action, setAction] = useState(null);
  const [form, setForm] = useState({});
  const [error, setError] = useState("");
  const load = () => api(`/api/hazard?id=${encodeURIComponent(hazard.hazard_id)}`).then(setDetail).catch((err) => setError(t(`error.${err.code || "network"}`)));
  useEffect(() => { load(); }, [hazard.hazard_id, hazard.state]);
  const send = async (ev) => {
    ev.preventDefault();
    try {
      await api("/api/hazard-step", body(hazard, action, form));
      setAction(null); setForm({}); setError("");
      onChanged();
      load();
    } catch (err) {
      setError(t(`error.${err.code || "network"}`));
    }
  };
  const set = (name, value) => setForm((old) => ({ ...old, [name]: value }));
  return html`<div class="hazard-open" onClick=${(ev) => ev.stopPropagation()}>
    ${detail && detail.photo_ids.length > 0 && html`<div class="photos">${detail.photo_ids.map((id) => html`<img key=${id} src=${`/api/hazard-photo/${id}`} alt=${t("hazard.photo_missing")} loading="lazy" onError=${(ev) => ev.currentTarget.classList.add("missing")} />`)}</div>`}
    ${detail && html`<ol class="timeline">${detail.changes.map((c) => html`<li key=${c.seq}><time>${clock(c.at, timezone, 0)}</time> ${ACTORS.has(c.actor) ? t(`hazard.actor.${c.actor}`) : c.actor} · ${t(`hazard.action.${c.action}`)}${c.detail ? ` · ${c.detail}` : ""}</li>`)}</ol>`}
    ${!action && html`<div class="actions">${(STEPS[hazard.state] || []).map((a) => html`<button type="button" key=${a} class="act" data-step=${a} onClick=${() => setAction(a)}>${t(`hazard.action.${a}`)}</button>`)}</div>`}
    ${action && html`<form class="assign" onSubmit=${send}>
      <${Fields} action=${action} form=${form} set=${set} />
      <div class="confirm-buttons">
        <button type="button" class="cancel" onClick=${() => setAction(null)}>${t("confirm.cancel")}</button>
        <button type="submit" class="yes" data-confirm=${action}>${t(`hazard.action.${action}`)}</button>
      </div>
    </form>`}
    ${error && html`<p class="error" data-error>${error}</p>`}
  </div>`;
}
