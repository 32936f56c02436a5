// The plan pane: the compound's site plan and the alarmed floor (or shed) of the selected card.
import { html, useEffect, useState } from "./lib.js";
import { api } from "./api.js";
import { nameOf, placeWords, t } from "./i18n.js";
import { FloorPlan, Legend, SitePlan } from "./plan.js";

const cache = new Map();
async function load(url) {
  if (!cache.has(url)) cache.set(url, api(url).catch((err) => { cache.delete(url); throw err; }));
  return cache.get(url);
}

function urls(focus) {
  const c = encodeURIComponent(focus.compound_id);
  const q = (params) => new URLSearchParams(Object.entries(params).filter(([, v]) => v)).toString();
  const site = `/api/siteplan/${c}?${q({ building: focus.building_id, shed: focus.shed_id })}`;
  const alarm = (focus.alarm_ids || []).join(",");
  let floor = null;
  if (focus.shed_id) floor = `/api/plan/${c}/${encodeURIComponent(focus.shed_id)}?${q({ alarm })}`;
  else if (focus.building_id) floor = `/api/plan/${c}/${encodeURIComponent(focus.building_id)}?${q({ floor: String(focus.floor || 1), alarm })}`;
  return { site, floor };
}

export function PlanPane({ inc }) {
  const [plans, setPlans] = useState({ site: null, floor: null });
  const focus = inc ? inc.place.focus : null;
  const key = focus ? JSON.stringify(focus) : "";
  useEffect(() => {
    let live = true;
    if (!focus) { setPlans({ site: null, floor: null }); return undefined; }
    const { site, floor } = urls(focus);
    Promise.all([load(site).catch(() => null), floor ? load(floor).catch(() => null) : null])
      .then(([s, f]) => { if (live) setPlans({ site: s, floor: f }); });
    return () => { live = false; };
  }, [key]);
  if (!inc) return html`<section id="plan-pane" class="pane"><h2>${t("plan.site")}</h2><p class="hint">${t("plan.none")}</p></section>`;
  const floor = plans.floor;
  const floorTitle = floor && (floor.kind === "shed" ? t("plan.shed", { shed: nameOf(floor) }) : t("plan.floor", { building: nameOf(floor), floor: floor.floor }));
  return html`<section id="plan-pane" class="pane">
    <h2 id="plan-title">${placeWords(inc.place.parts)}</h2>
    ${floor && html`<figure class="plan-figure"><figcaption>${floorTitle}</figcaption><${FloorPlan} plan=${floor} focus=${focus} /></figure>`}
    ${plans.site && html`<figure class="plan-figure"><figcaption>${t("plan.site")} · ${nameOf(plans.site)}</figcaption><${SitePlan} plan=${plans.site} focus=${focus} /></figure>`}
    <${Legend} />
  </section>`;
}
