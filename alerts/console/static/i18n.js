// Message catalogues (alerts/console/messages/*.json, the server's too), the place in words,
// and times in the compound's time zone on a 24 h clock (issue 11.1).
export const LANGS = ["zh-CN", "en"];
const STORE_KEY = "fw.lang";
let lang = "zh-CN";
let messages = {};

export function currentLang() { return lang; }

export function storedLang() {
  try {
    const saved = localStorage.getItem(STORE_KEY);
    return LANGS.includes(saved) ? saved : "zh-CN";
  } catch (_err) {
    return "zh-CN"; // storage disabled: Chinese first
  }
}

export async function loadLang(wanted) {
  const res = await fetch(`/api/messages/${encodeURIComponent(wanted)}`);
  if (!res.ok) throw new Error(`catalogue ${wanted}: ${res.status}`);
  messages = await res.json();
  lang = wanted;
  document.documentElement.lang = wanted;
  try { localStorage.setItem(STORE_KEY, wanted); } catch (_err) { /* not remembered */ }
}

// A missing key shows as itself, so a gap is visible (the catalogue test finds it first).
export function t(key, params = {}) {
  const template = messages[key] ?? key;
  return template.replace(/\{(\w+)\}/g, (whole, name) => (name in params ? String(params[name]) : whole));
}

export function has(key) { return key in messages; }

export function nameOf(thing) {
  if (!thing) return "";
  return lang === "en" && thing.name_en ? thing.name_en : thing.name;
}

// Mirrors alerts/console/places.py words(): one catalogue, one wording, both sides.
export function placeWords(parts) {
  const words = parts.map((part) => {
    switch (part.t) {
      case "building": case "shed": case "named": return nameOf(part);
      case "floor": case "unit": case "port": return t(`place.${part.t}`, { n: part.n });
      case "room": return t(`room.${part.room}`);
      case "point": return t(`point.${part.kind}`);
      default: return t("place.device", { id: part.id });
    }
  });
  return words.filter(Boolean).join(t("place.join"));
}

const formatters = new Map();
function formatter(timeZone, withDate) {
  const key = `${lang}|${timeZone}|${withDate}`;
  if (!formatters.has(key)) {
    const opts = { timeZone, hourCycle: "h23", hour: "2-digit", minute: "2-digit", second: "2-digit" };
    if (withDate) Object.assign(opts, { month: "2-digit", day: "2-digit" });
    formatters.set(key, new Intl.DateTimeFormat(lang, opts));
  }
  return formatters.get(key);
}

// 24 h clock in the compound's zone; the date only when it is not today there.
export function clock(iso, timeZone, now = Date.now()) {
  if (!iso) return "";
  const at = new Date(iso);
  const day = (d) => formatter(timeZone, true).formatToParts(d).filter((p) => p.type === "month" || p.type === "day").map((p) => p.value).join("-");
  return formatter(timeZone, day(at) !== day(new Date(now))).format(at);
}

// Durations as mm:ss; an hour or more (a P3's 24 h work order) as h:mm:ss, never "1439:57".
export function mmss(totalSeconds) {
  const s = Math.max(0, Math.floor(totalSeconds));
  const two = (n) => String(n).padStart(2, "0");
  const hours = Math.floor(s / 3600);
  const rest = `${two(Math.floor((s % 3600) / 60))}:${two(s % 60)}`;
  return hours > 0 ? `${hours}:${rest}` : rest;
}
