// Attention until answered (issue 11.3): a generated two-tone alarm (Web Audio, no sound file)
// repeating every CYCLE_MS while any urgent incident waits for an answer, the title flashing,
// and a browser notification per new one. Browsers start audio only after a tap (autoplay
// rule), so the page shows a switch to enable it.
// For tests and for the person looking: <html data-alarm="ringing|silent" data-sound="on|locked">
// and window.fwAlarm = { tones, notified } count what was actually played and shown.
const CYCLE_MS = 2000;
// Two tones, high then low, like the "di-du" of Chinese fire alarms (GB 4717 leaves the
// pattern to the maker); 0.35 s each, loud enough over a TV, never a sound file.
const TONES = [[960, 0, 0.35], [640, 0.4, 0.35]];
const FLASH_MS = 1000;

export const stats = { tones: 0, notified: [], ringing: false };
window.fwAlarm = stats;

export class Alarm {
  constructor(onChange) {
    this.onChange = onChange;
    this.ctx = null;
    this.ringing = false;
    this.reason = "";
    this.baseTitle = document.title;
    this.timers = [];
    this.notifiedKeys = new Set();
    this.mark();
  }

  get soundOn() { return this.ctx !== null && this.ctx.state === "running"; }

  // Called from a tap: the one moment a browser lets audio (and the notification prompt) start.
  async enable() {
    try {
      const Ctx = window.AudioContext || window.webkitAudioContext;
      if (!this.ctx && Ctx) {
        this.ctx = new Ctx();
        this.ctx.addEventListener("statechange", () => { this.mark(); this.onChange(); });
      }
      if (this.ctx) await this.ctx.resume();
    } catch (_err) { /* no audio device: the title flash and the notification still work */ }
    if ("Notification" in window && Notification.permission === "default") {
      try { await Notification.requestPermission(); } catch (_err) { /* refused */ }
    }
    this.mark();
    this.onChange();
  }

  // `urgent`: the incidents waiting for an answer now; `describe(inc)` gives title and body.
  update(urgent, describe) {
    for (const inc of urgent) this.notify(inc, describe(inc));
    const should = urgent.length > 0;
    this.reason = should ? describe(urgent[0]).title : "";
    if (should === this.ringing) return;
    if (should) this.start(); else this.stop();
    this.mark();
    this.onChange();
  }

  start() {
    this.ringing = true;
    stats.ringing = true;
    this.cycle();
    this.timers.push(setInterval(() => this.cycle(), CYCLE_MS));
    let on = false;
    this.timers.push(setInterval(() => {
      on = !on;
      document.title = on && this.reason ? this.reason : this.baseTitle;
    }, FLASH_MS));
  }

  stop() {
    this.ringing = false;
    stats.ringing = false;
    for (const id of this.timers) clearInterval(id);
    this.timers = [];
    document.title = this.baseTitle;
  }

  cycle() {
    if (!this.soundOn) return;
    const now = this.ctx.currentTime;
    for (const [freq, at, length] of TONES) {
      const osc = this.ctx.createOscillator();
      const gain = this.ctx.createGain();
      osc.type = "square";
      osc.frequency.value = freq;
      // A short ramp in and out: no clicks, and square waves carry on phone speakers.
      gain.gain.setValueAtTime(0.0001, now + at);
      gain.gain.exponentialRampToValueAtTime(0.3, now + at + 0.02);
      gain.gain.setValueAtTime(0.3, now + at + length - 0.03);
      gain.gain.exponentialRampToValueAtTime(0.0001, now + at + length);
      osc.connect(gain).connect(this.ctx.destination);
      osc.start(now + at);
      osc.stop(now + at + length + 0.01);
    }
    stats.tones += 1;
  }

  notify(inc, text) {
    if (this.notifiedKeys.has(inc.incident_key)) return;
    this.notifiedKeys.add(inc.incident_key);
    if (!("Notification" in window) || Notification.permission !== "granted") return;
    try {
      new Notification(text.heading || text.title, { body: text.body, tag: inc.incident_key, requireInteraction: true });
      stats.notified.push(inc.incident_key);
    } catch (_err) { /* phones want a service worker for notifications: the tone still rings */ }
  }

  mark() {
    document.documentElement.dataset.alarm = this.ringing ? "ringing" : "silent";
    document.documentElement.dataset.sound = this.soundOn ? "on" : "locked";
  }
}
