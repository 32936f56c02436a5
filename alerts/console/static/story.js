// The incident's story (issue 11.5): who was paged, by which channel, delivered or failed,
// who acted, escalation steps, the 119 forward and the linkage tasks, from the ledger
// (/api/story), worded here from codes in the member's language and the compound's zone.
import { html, useEffect, useState } from "./lib.js";
import { api } from "./api.js";
import { clock, has, t } from "./i18n.js";

function who(e) {
  if (e.who === "dispatch") return t("story.system");
  return e.who_name ? `${e.who_name} (${e.who})` : e.who;
}

function step(id) {
  return has(`step.${id}`) ? t(`step.${id}`) : id;
}

function actionWords(e) {
  if (e.action === "assign") return t("assign.to", { who: e.detail });
  return t(`action.done.${e.action}`);
}

// One line of the story: its words, and whether it went wrong (shown red).
function line(e) {
  switch (e.type) {
    case "page": return [`${t("story.page")} ${who(e)} · ${t(`channel.${e.channel}`)} · ${e.is_ok ? t("story.delivered") : t("story.failed")} · ${step(e.step_id)}`, !e.is_ok];
    case "forward_119": return [`${t("story.forward_119")} · ${e.is_ok ? t("story.delivered") : t("story.failed")}`, !e.is_ok];
    case "action": return [`${who(e)} ${actionWords(e)}`, false];
    case "task": return [`${t(`task.${e.task}`)} ${e.device_id}${t("story.sep")}${t(`task_state.${e.state}`)}`, e.state === "failed"];
    case "unreached": return [`${step(e.step_id)}${t("story.sep")}${t("story.unreached", { n: e.n })}`, true];
    case "planned": return [`${t("story.planned")}${t("story.sep")}${e.tasks.map((x) => `${t(`task.${x.task}`)} ${x.device_id}`).join(t("story.list_sep"))}`, false];
    case "command": return [`${t("story.command")}${t("story.sep")}${t(`command.${e.command}`)} → ${e.device_id}`, false];
    case "joined": return [`${t("story.joined")}${t("story.sep")}${t(`kind.${e.kind}`)} ${e.device_id}`, false];
    default: return [`${t("story.note")}${t("story.sep")}${e.detail}`, false];
  }
}

export function Story({ inc }) {
  const [entries, setEntries] = useState(null);
  const tz = inc.place.compound.timezone;
  // Reloaded whenever the incident changes (its seq moves with every transition).
  useEffect(() => {
    let live = true;
    api(`/api/story?key=${encodeURIComponent(inc.incident_key)}`)
      .then((found) => { if (live) setEntries(found); })
      .catch(() => { if (live) setEntries([]); });
    return () => { live = false; };
  }, [inc.incident_key, inc.state, inc.assignee && inc.assignee.member_id, JSON.stringify(inc.tasks)]);
  if (entries === null) return null;
  if (entries.length === 0) return html`<p class="hint">${t("story.empty")}</p>`;
  return html`<ol class="timeline" data-story>${entries.map((e, i) => {
    const [words, bad] = line(e);
    return html`<li key=${i} class=${`${e.type}${bad ? " bad" : ""}`} data-type=${e.type}><time>${clock(e.at, tz)}</time> <span>${words}</span></li>`;
  })}</ol>`;
}
