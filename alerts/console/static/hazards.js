// Hazards (隐患) in their own list, never the alarm list (issue 18.4): what residents and
// patrols found in the member's compounds, overdue first, with the rectification deadline.
import { html, useEffect, useState } from "./lib.js";
import { api } from "./api.js";
import { HazardSteps } from "./hazard-steps.js";
import { clock, currentLang, t } from "./i18n.js";

export function Hazards({ now, timezone }) {
  const [items, setItems] = useState(null);
  const [open, setOpen] = useState(null);
  const load = () => api("/api/hazards").then(setItems).catch(() => setItems([]));
  useEffect(() => {
    load();
    const id = setInterval(load, 30000);
    return () => clearInterval(id);
  }, []);
  const zh = currentLang() !== "en";
  return html`<section id="hazard-pane" class="pane">
    <h2>${t("hazard.title")} <span class="count">${items ? items.length : ""}</span></h2>
    <p class="hint">${t("hazard.hint")}</p>
    ${items && items.length === 0 && html`<p class="empty">${t("hazard.empty")}</p>`}
    <ol class="orders" id="hazards">${(items || []).map((h) => html`<li key=${h.hazard_id} class=${`order hazard${h.is_overdue ? " overdue" : ""}`} data-hazard=${h.hazard_id} onClick=${() => setOpen(h.hazard_id)}>
      <div class="card-head">
        <span class="badge P2">${zh ? h.category_zh : h.category_en}</span>
        <span class="state">${t(`hazard.state.${h.state}`)}</span>
        ${h.is_overdue && html`<span class="overdue-mark">${t("hazard.overdue")}</span>`}
      </div>
      <p class="place hazard-title">${h.title}</p>
      <p class="where">${zh ? h.place_zh : h.place_en}</p>
      ${h.description && html`<p class="where">${h.description}</p>`}
      <p class="where">${h.assignee ? `${t("hazard.assignee")}${t("story.sep")}${h.assignee_name}` : ""}${h.deadline_at ? ` · ${t("hazard.deadline")} ${clock(h.deadline_at, timezone, now)}` : ""}${h.photo_ids.length ? ` · ${t("hazard.photos", { n: h.photo_ids.length })}` : ""}</p>
      ${open === h.hazard_id && html`<${HazardSteps} hazard=${h} timezone=${timezone} onChanged=${load} />`}
    </li>`)}</ol>
  </section>`;
}
