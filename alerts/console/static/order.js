// The list's order (issue 11.3): unanswered urgent (P1) incidents pinned on top, newest first;
// then by severity, unanswered before answered, newest first.
const RANK = { P1: 1, P2: 2, P3: 3 };

// An incident assigned to me that I have not reached yet is pinned too (issue 11.6).
let me = "";
export function setMe(memberId) { me = memberId || ""; }

export function isMine(inc) {
  return Boolean(me && inc.assignee && inc.assignee.member_id === me && !inc.on_scene_at);
}

export function isUrgent(inc) {
  return inc.severity === "P1" && inc.needs_answer;
}

export function isPinned(inc) {
  return (inc.severity === "P1" && inc.needs_answer) || isMine(inc);
}

export function order(incidents) {
  return [...incidents].sort((a, b) =>
    Number(isPinned(b)) - Number(isPinned(a))
    || (RANK[a.severity] ?? 9) - (RANK[b.severity] ?? 9)
    || Number(b.needs_answer) - Number(a.needs_answer)
    || b.opened_at.localeCompare(a.opened_at));
}
