// 一键派单 (issue 11.6): a chief, the control room or the street officer picks a member from
// the people who can act on this incident; assigning again reassigns. Recorded by dispatch.
import { html, useEffect, useState } from "./lib.js";
import { api } from "./api.js";
import { t } from "./i18n.js";

export function AssignForm({ inc, onDone, onCancel }) {
  const [people, setPeople] = useState(null);
  const [chosen, setChosen] = useState("");
  const [error, setError] = useState("");
  useEffect(() => {
    api(`/api/assignees?key=${encodeURIComponent(inc.incident_key)}`).then(setPeople).catch(() => setPeople([]));
  }, [inc.incident_key]);
  const submit = async (ev) => {
    ev.preventDefault();
    ev.stopPropagation();
    if (!chosen) return;
    try {
      onDone(await api("/api/assign", { incident_key: inc.incident_key, assignee: chosen }));
    } catch (err) {
      setError(t(`error.${err.code || "network"}`));
    }
  };
  return html`<form class="assign" onSubmit=${submit} onClick=${(ev) => ev.stopPropagation()}>
    <label>${t("assign.title")}
      <select data-assignee value=${chosen} onChange=${(ev) => setChosen(ev.currentTarget.value)}>
        <option value="">${people && people.length === 0 ? t("assign.none") : "—"}</option>
        ${(people || []).map((p) => html`<option key=${p.member_id} value=${p.member_id}>${p.name} · ${t(`role.${p.role}`)} (${p.member_id})</option>`)}
      </select>
    </label>
    <p class="error">${error}</p>
    <div class="confirm-buttons">
      <button type="button" class="cancel" onClick=${onCancel}>${t("confirm.cancel")}</button>
      <button type="submit" class="yes assign" data-confirm="assign" disabled=${!chosen}>${t("assign.submit")}</button>
    </div>
  </form>`;
}
