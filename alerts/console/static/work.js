// Maintenance is not duty (GLOSSARY): work orders (维保) in their own list, with due dates and
// overdue marked; a member takes one (接单) or closes it (销单, a second step). Recorded by
// dispatch on the order's ledger row.
import { html, useEffect, useState } from "./lib.js";
import { api } from "./api.js";
import { clock, placeWords, t } from "./i18n.js";

function Order({ order, onChanged, now }) {
  const [asking, setAsking] = useState(false);
  const [error, setError] = useState("");
  const tz = order.place.compound.timezone;
  const send = async (action) => {
    try {
      onChanged(await api("/api/work-order", { order_id: order.order_id, action }));
      setAsking(false);
    } catch (err) {
      setError(t(`error.${err.code || "network"}`));
    }
  };
  const cls = `order${order.is_overdue ? " overdue" : ""}${order.is_open ? "" : " done"}`;
  return html`<li class=${cls} data-order=${order.order_id}>
    <div class="card-head">
      <span class="badge P3">${t(`kind.${order.kind}`)}</span>
      <span class=${`state ${order.state}`}>${t(`work_order.state.${order.state}`)}</span>
      ${order.is_overdue && html`<span class="overdue-mark" data-overdue>${t("work.overdue")}</span>`}
      ${order.occurrences > 1 && html`<span class="muted">${t("work.times", { n: order.occurrences })}</span>`}
    </div>
    <p class="place">${placeWords(order.place.parts)}</p>
    <p class="where">${t("work.due")} <time>${clock(order.due_at, tz, now)}</time> · <span class="summary">${order.summary}</span></p>
    ${order.acknowledged_by && html`<p class="where">${t("work.taken", { who: order.acknowledged_by })}</p>`}
    ${order.done_by && html`<p class="where">${t("work.done", { who: order.done_by })}</p>`}
    ${order.is_open && !asking && html`<div class="actions">
      ${!order.acknowledged_by && html`<button type="button" class="act acknowledge" data-work="acknowledge" onClick=${() => send("acknowledge")}>${t("work.acknowledge")}</button>`}
      <button type="button" class="act" data-work="close" onClick=${() => setAsking(true)}>${t("work.close")}</button>
    </div>`}
    ${asking && html`<div class="second-step" role="alertdialog"><p>${t("work.close.question")}</p><div class="confirm-buttons">
      <button type="button" class="cancel" onClick=${() => setAsking(false)}>${t("confirm.cancel")}</button>
      <button type="button" class="yes" data-confirm="close" onClick=${() => send("close")}>${t("work.close.yes")}</button>
    </div></div>`}
    ${error && html`<p class="error">${error}</p>`}
  </li>`;
}

export function WorkOrders({ now }) {
  const [orders, setOrders] = useState(null);
  const load = () => api("/api/work-orders").then(setOrders).catch(() => setOrders([]));
  useEffect(() => { load(); const id = setInterval(load, 30000); return () => clearInterval(id); }, []);
  const changed = (next) => setOrders((old) => old.map((o) => (o.order_id === next.order_id ? next : o)));
  return html`<section id="work-pane" class="pane">
    <h2>${t("work.title")} <span class="count">${orders ? orders.filter((o) => o.is_open).length : ""}</span></h2>
    <p class="hint">${t("work.hint")}</p>
    ${orders && orders.length === 0 && html`<p class="empty">${t("work.empty")}</p>`}
    <ol class="orders" id="work-orders">${(orders || []).map((o) => html`<${Order} key=${o.order_id} order=${o} onChanged=${changed} now=${now} />`)}</ol>
  </section>`;
}
