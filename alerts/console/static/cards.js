// One incident card: where (in words), what, how long is left, and only the buttons that apply.
// Safe to press (issue 11.4): tapping the card selects it and never presses a button; confirm
// fire, false alarm and resolve need a second, differently placed button; false alarm, resolve
// and mute wait out an undo window before they are sent; confirm fire has no undo because
// GB 50440 wants the 119 forward within 3 s of confirmation.
import { html, useEffect, useState } from "./lib.js";
import { AssignForm } from "./assign.js";
import { clock, currentLang, mmss, nameOf, placeWords, t } from "./i18n.js";
import { Story } from "./story.js";

const TWO_STEP = new Set(["confirm", "deny", "resolve"]);
export const UNDOABLE = new Set(["deny", "resolve", "mute"]);
const CAUSES = ["cooking", "steam", "dust", "smoking", "device_fault"];

export function title(inc) {
  return `${t(`severity.${inc.severity}`)} · ${t(`kind.${inc.kind}`)}`;
}

function Countdown({ label, due, done, now }) {
  if (!due) return null;
  if (done) return html`<div class="sla done"><span class="sla-label">${label}</span><span class="sla-time">${t("sla.done")}</span></div>`;
  const left = (Date.parse(due) - now) / 1000;
  const late = left < 0;
  return html`<div class=${`sla${late ? " late" : ""}`} data-sla>
    <span class="sla-label">${label} ${late ? t("sla.late") : t("sla.left")}</span>
    <span class="sla-time">${mmss(Math.abs(left))}</span>
  </div>`;
}

function actionLabel(inc, action) {
  return t(action === "confirm" && !inc.is_fire ? "action.confirm_other" : `action.${action}`);
}

// What the second step says: a confirmation that calls 119 says so, plainly.
function confirmWords(inc, action) {
  if (action !== "confirm") return [t(`confirm.${action}.question`), t(`confirm.${action}.yes`)];
  const kind = inc.confirm_calls_119 ? "confirm" : "plain";
  return [t(`confirm.${kind}.question`), t(`confirm.${kind}.yes`)];
}

// The second step's button arms after settle_ms: a double tap on the first button cannot
// land on it, and it sits elsewhere (right, below the question) than the first one did.
function useArmed(ms) {
  const [armed, setArmed] = useState(ms <= 0);
  useEffect(() => { const id = setTimeout(() => setArmed(true), ms); return () => clearTimeout(id); }, []);
  return armed;
}

function Confirm({ inc, action, onYes, onCancel, settleMs }) {
  const [question, yesLabel] = confirmWords(inc, action);
  const armed = useArmed(settleMs);
  const yes = (ev) => { ev.stopPropagation(); if (armed) onYes({}); };
  return html`<div class="second-step" role="alertdialog" onClick=${(ev) => ev.stopPropagation()}>
    <p>${question}</p>
    <div class="confirm-buttons">
      <button type="button" class="cancel" onClick=${(ev) => { ev.stopPropagation(); onCancel(); }}>${t("confirm.cancel")}</button>
      <button type="button" class=${`yes ${action}`} data-confirm=${action} disabled=${!armed} onClick=${yes}>${yesLabel}</button>
    </div>
  </div>`;
}

function ResolveForm({ onYes, onCancel, settleMs }) {
  const armed = useArmed(settleMs);
  const [outcome, setOutcome] = useState("");
  const [cause, setCause] = useState("");
  const [error, setError] = useState("");
  const submit = (ev) => {
    ev.preventDefault();
    ev.stopPropagation();
    if (!outcome) return;
    if (outcome === "false_alarm" && !cause.trim()) { setError(t("resolve.cause.required")); return; }
    onYes({ outcome, cause: outcome === "false_alarm" ? cause.trim() : null });
  };
  return html`<form class="resolve" onSubmit=${submit} onClick=${(ev) => ev.stopPropagation()}>
    <fieldset>
      <legend>${t("resolve.outcome")}</legend>
      ${["real_fire", "false_alarm", "test"].map((o) => html`<label key=${o} class="choice">
        <input type="radio" name="outcome" value=${o} checked=${outcome === o} onChange=${() => setOutcome(o)} />${t(`outcome.${o}`)}
      </label>`)}
    </fieldset>
    ${outcome === "false_alarm" && html`<div class="cause">
      <label>${t("resolve.cause")}<input data-cause maxlength="500" value=${cause} placeholder=${t("resolve.cause.placeholder")} onInput=${(ev) => setCause(ev.currentTarget.value)} /></label>
      <div class="chips">${CAUSES.map((c) => html`<button type="button" key=${c} class="chip" onClick=${() => setCause(t(`cause.${c}`))}>${t(`cause.${c}`)}</button>`)}</div>
    </div>`}
    <p class="error">${error}</p>
    <div class="confirm-buttons">
      <button type="button" class="cancel" onClick=${onCancel}>${t("confirm.cancel")}</button>
      <button type="submit" class="yes resolve" data-confirm="resolve" disabled=${!outcome || !armed}>${t("resolve.submit")}</button>
    </div>
  </form>`;
}

function Pending({ pending, now, onUndo }) {
  const left = Math.max(0, Math.ceil((pending.sendAt - now) / 1000));
  return html`<div class="pending" onClick=${(ev) => ev.stopPropagation()}>
    <span>${t("undo.pending", { action: t(`action.done.${pending.action}`), s: left })}</span>
    <button type="button" class="undo" onClick=${(ev) => { ev.stopPropagation(); onUndo(); }}>${t("undo.button")}</button>
  </div>`;
}

// True while the card has just appeared or moved (a new card pushed the list down): its
// buttons are disabled then, so a tap meant for what was under the finger presses nothing.
function useSettling(settledAt) {
  const [, redraw] = useState(0);
  const left = settledAt - performance.now();
  useEffect(() => {
    if (left <= 0) return undefined;
    const id = setTimeout(() => redraw((n) => n + 1), left + 5);
    return () => clearTimeout(id);
  }, [settledAt]);
  return left > 0;
}

function Actions({ inc, me, settledAt, settleMs, onAct, onChanged, pending, onUndo, now, error }) {
  const [asking, setAsking] = useState(null);
  const settling = useSettling(settledAt);
  const press = (action) => (ev) => {
    ev.stopPropagation();
    if (TWO_STEP.has(action) || action === "assign") setAsking(action);
    else onAct(action, {});
  };
  if (pending) return html`<${Pending} pending=${pending} now=${now} onUndo=${onUndo} />`;
  const done = (extra) => { setAsking(null); onAct(asking, extra); };
  if (asking === "assign") {
    return html`<${AssignForm} inc=${inc} onDone=${(next) => { setAsking(null); onChanged(next); }} onCancel=${() => setAsking(null)} />`;
  }
  if (asking === "resolve") {
    return html`<${ResolveForm} settleMs=${settleMs} onYes=${done} onCancel=${() => setAsking(null)} />`;
  }
  if (asking) {
    return html`<${Confirm} inc=${inc} action=${asking} settleMs=${settleMs} onYes=${done} onCancel=${() => setAsking(null)} />`;
  }
  return html`<div class="actions" onClick=${(ev) => ev.stopPropagation()}>
    ${inc.actions.map((a) => html`<button type="button" key=${a} data-action=${a} class=${`act ${a}`} disabled=${settling} onClick=${press(a)}>${actionLabel(inc, a)}</button>`)}
    ${me && me.may_assign && html`<button type="button" data-action="assign" class="act assign" disabled=${settling} onClick=${press("assign")}>${t("action.assign")}</button>`}
    ${error && html`<p class="error" data-error>${error}</p>`}
  </div>`;
}

function Tasks({ inc }) {
  if (inc.tasks.length === 0) return null;
  return html`<div class="tasks-box"><h4>${t("detail.tasks")}</h4><ul class="tasks" data-tasks>${inc.tasks.map((task, i) => html`<li key=${i} class=${`task ${task.state}`} data-task=${task.kind}>
    <span class="task-what">${t(`task.${task.kind}`)} <small>${task.device_id}</small></span>
    <span class=${`task-state ${task.state}`}>${t(`task_state.${task.state}`)}</span>
    ${task.detail && html`<small class="readback">${task.detail}</small>`}
  </li>`)}</ul></div>`;
}

function Hazards({ inc }) {
  if (!inc.hazards || inc.hazards.length === 0) return null;
  const zh = currentLang() !== "en";
  return html`<div class="near-hazards" data-hazards><h4>${t("detail.hazards")}</h4><ul>${inc.hazards.map((h) => html`<li key=${h.hazard_id}>
    <b>${zh ? h.category_zh : h.category_en}</b> ${h.title} · ${zh ? h.place_zh : h.place_en}
  </li>`)}</ul></div>`;
}

function Details({ inc }) {
  const [open, setOpen] = useState(false);
  const code = inc.dispatch_reason_code;
  return html`<details class="details" onClick=${(ev) => ev.stopPropagation()} onToggle=${(ev) => setOpen(ev.currentTarget.open)}>
    <summary>${t("story.title")}</summary>
    ${open && html`<${Story} inc=${inc} />`}
    <p class="reason"><b>${t("detail.reason")}</b> ${code ? t(`dispatch.reason.${code}`) : ""}</p>
    <p class="summary"><b>${t("detail.summary")}</b> ${inc.summary}</p>
    <p class="reason-text"><small>${t("detail.reason_text")}: ${inc.dispatch_reason}</small></p>
  </details>`;
}

function Who({ inc, me }) {
  const mine = me && inc.assignee && inc.assignee.member_id === me.member_id;
  const sources = html`<span class=${`sources${inc.is_confirmed ? " confirmed" : ""}`} data-sources=${inc.confirmations}>${t("detail.confirmations", { n: inc.confirmations })} · ${inc.is_confirmed ? t("detail.confirmed") : t("detail.unconfirmed")}</span>`;
  return html`<p class="who">
    ${inc.is_fire && sources}
    <span class=${`assignee${mine ? " mine" : ""}`} data-assignee=${inc.assignee ? inc.assignee.member_id : ""}>${t("detail.assignee")}${t("story.sep")}${inc.assignee ? `${inc.assignee.name}${mine ? ` · ${t("assign.mine")}` : ""}` : t("detail.unassigned")}</span>
  </p>`;
}

export function Card(props) {
  const { inc, selected, onSelect, now } = props;
  const tz = inc.place.compound.timezone;
  const cls = `card ${inc.severity}${selected ? " selected" : ""}${inc.needs_answer ? " unanswered" : ""}`;
  return html`<li class=${cls} data-key=${inc.incident_key} onClick=${() => onSelect(inc.incident_key)}>
    <div class="card-head">
      <span class=${`badge ${inc.severity}`}>${title(inc)}</span>
      <span class=${`state ${inc.state}`}>${t(`state.${inc.state}`)}</span>
      ${inc.is_muted && html`<span class="muted">${t("detail.muted")}</span>`}
      <time class="opened" title=${t("detail.opened")}>${clock(inc.opened_at, tz, now)}</time>
    </div>
    <p class="place" data-place>${placeWords(inc.place.parts)}</p>
    <p class="where">${nameOf(inc.place.compound)}${inc.station ? html` · ${t("detail.station")} ${nameOf(inc.station)}` : ""}</p>
    <${Who} inc=${inc} me=${props.me} />
    <div class="slas">
      <${Countdown} label=${t("sla.ack")} due=${inc.ack_due_at} done=${inc.acknowledged_at} now=${now} />
      <${Countdown} label=${t("sla.scene")} due=${inc.scene_due_at} done=${inc.on_scene_at} now=${now} />
    </div>
    <${Tasks} inc=${inc} />
    <${Hazards} inc=${inc} />
    <${Actions} ...${props} />
    <a class="to-plan" href="#plan-pane" onClick=${(ev) => { ev.stopPropagation(); onSelect(inc.incident_key); }}>${t("plan.open")}</a>
    <${Details} inc=${inc} />
  </li>`;
}
