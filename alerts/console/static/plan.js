// Site plan and floor plans as SVG, drawn from the registry's geometry (alerts/console/plans.py):
// the alarmed building or shed, the alarmed device point, exits, stairs and the route to it.
// Registry y grows northwards, SVG y downwards: every y is flipped against the plan's depth.
import { html } from "./lib.js";
import { nameOf, t } from "./i18n.js";

const flip = (plan, y) => plan.depth_m - y;
const pts = (plan, route) => route.map(([x, y]) => `${x},${flip(plan, y)}`).join(" ");

function rect(plan, r, cls, extra = {}) {
  return html`<rect class=${cls} x=${r.x_m} y=${flip(plan, r.y_m + r.depth_m)} width=${r.width_m} height=${r.depth_m} ...${extra} />`;
}

// About how wide a label draws, in font sizes: CJK characters are square, Latin about 0.6.
const ems = (text) => [...text].reduce((n, c) => n + (c.charCodeAt(0) > 0x2e80 ? 1 : 0.6), 0);

// A rectangle's name inside it when it fits, else under it.
function rectLabel(plan, r, text, font) {
  const inside = ems(text) * font < r.width_m - font * 0.4 && r.depth_m > font * 1.4;
  const y = inside ? r.y_m + r.depth_m / 2 : r.y_m - font * 0.9;
  return label(plan, r.x_m + r.width_m / 2, y, text);
}

function label(plan, x, y, text, cls = "label") {
  return html`<text class=${cls} x=${x} y=${flip(plan, y)} text-anchor="middle" dominant-baseline="middle">${text}</text>`;
}

export function SitePlan({ plan, focus }) {
  const size = Math.max(plan.width_m, plan.depth_m);
  const font = Math.max(3, size / 32);
  const pad = font * 2.5; // room for the names of gates on the fence
  return html`
    <svg id="plan" class="site" viewBox=${`${-pad} ${-pad} ${plan.width_m + 2 * pad} ${plan.depth_m + 2 * pad}`} role="img" aria-label=${t("plan.site")} style=${{ "--font": `${font}px` }}>
      <rect class="ground" x="0" y="0" width=${plan.width_m} height=${plan.depth_m} />
      ${plan.buildings.map((b) => html`<g key=${b.building_id}>
        ${rect(plan, b, b.building_id === focus.building_id ? "building alarm" : "building", { "data-building": b.building_id })}
        ${rectLabel(plan, b, nameOf(b), font)}
      </g>`)}
      ${plan.sheds.map((s) => html`<g key=${s.shed_id}>
        ${rect(plan, s, s.shed_id === focus.shed_id ? "shed alarm" : "shed", { "data-shed": s.shed_id })}
        ${rectLabel(plan, s, nameOf(s), font)}
      </g>`)}
      ${plan.gates.map((g) => html`<g key=${g.device_id} class="gate">
        <circle cx=${g.x_m} cy=${flip(plan, g.y_m)} r=${font * 0.7} />
        ${label(plan, g.x_m, g.y_m + font * 1.6, nameOf(g) || t("plan.gate"), "label small")}
      </g>`)}
      ${plan.route.length > 1 && html`<polyline class="route" points=${pts(plan, plan.route)} />`}
    </svg>`;
}

function pointClass(p, alarmIds) {
  return `point ${p.kind}${alarmIds.has(p.device_id) ? " alarm" : ""}`;
}

export function FloorPlan({ plan, focus }) {
  const alarmIds = new Set(focus.alarm_ids || []);
  const font = Math.max(0.9, plan.width_m / 40);
  const exits = plan.points.filter((p) => p.name);
  const devices = plan.points.filter((p) => !p.name);
  return html`
    <svg id="floorplan" class="floor" viewBox=${`-3 -3 ${plan.width_m + 6} ${plan.depth_m + 6}`} role="img" aria-label=${plan.kind === "shed" ? t("plan.shed", { shed: nameOf(plan) }) : t("plan.floor", { building: nameOf(plan), floor: plan.floor })} style=${{ "--font": `${font}px` }}>
      <rect class="outline" x="0" y="0" width=${plan.width_m} height=${plan.depth_m} />
      ${plan.has_svg && html`<image href=${`/api/drawing/${encodeURIComponent(focus.compound_id)}/${encodeURIComponent(plan.id)}`} x="0" y="0" width=${plan.width_m} height=${plan.depth_m} preserveAspectRatio="none" />`}
      ${plan.corridor && rect(plan, plan.corridor, "corridor")}
      ${plan.units.map((u) => html`<g key=${`u${u.unit}`}>
        ${rect(plan, u, "unit")}
        ${label(plan, u.x_m + u.width_m / 2, u.y_m + u.depth_m - font * 1.2, t("place.unit", { n: u.unit }))}
      </g>`)}
      ${plan.stairs.map((s, i) => html`<g key=${`s${i}`}>
        ${rect(plan, s, "stairs")}
        ${label(plan, s.x_m + s.width_m / 2, s.y_m + s.depth_m / 2, t("plan.stairs"), "label small")}
      </g>`)}
      ${plan.route.length > 1 && html`<polyline class="route" points=${pts(plan, plan.route)} marker-end="url(#arrow)" />`}
      ${exits.map((e) => html`<g key=${e.device_id} class=${pointClass(e, alarmIds)} data-device=${e.device_id}>
        <rect x=${e.x_m - font * 0.6} y=${flip(plan, e.y_m) - font * 0.6} width=${font * 1.2} height=${font * 1.2} />
        ${label(plan, e.x_m, e.y_m - font * 1.4, nameOf(e), "label small exit-label")}
      </g>`)}
      ${devices.map((p) => html`<circle key=${p.device_id} class=${pointClass(p, alarmIds)} data-device=${p.device_id} cx=${p.x_m} cy=${flip(plan, p.y_m)} r=${alarmIds.has(p.device_id) ? font * 0.9 : font * 0.45} />`)}
      ${devices.filter((p) => p.port_no).map((p) => label(plan, p.x_m, p.y_m - font * 1.3, String(p.port_no), "label small"))}
      <defs><marker id="arrow" viewBox="0 0 10 10" refX="8" refY="5" markerWidth="5" markerHeight="5" orient="auto-start-reverse"><path d="M 0 0 L 10 5 L 0 10 z" class="arrowhead" /></marker></defs>
    </svg>`;
}

export function Legend() {
  return html`<ul class="legend">
    <li><span class="swatch alarm"></span>${t("plan.legend.alarm")}</li>
    <li><span class="swatch device"></span>${t("plan.legend.device")}</li>
    <li><span class="swatch exit"></span>${t("plan.exit")}</li>
    <li><span class="swatch route"></span>${t("plan.route")}</li>
  </ul>`;
}
