// @ts-check
/** A short two-tone chime made with WebAudio (no audio file to download). */

/** @type {AudioContext|null} */
let ctx = null;
let last = 0;

/** Browsers start audio only after a gesture: call from input events. */
export function unlock() {
  try {
    ctx ||= new AudioContext();
    if (ctx.state === 'suspended') ctx.resume();
  } catch { /* no audio */ }
}

export function chime() {
  const now = Date.now();
  if (now - last < 1500) return;
  last = now;
  try {
    unlock();
    if (!ctx) return;
    const t = ctx.currentTime;
    const gain = ctx.createGain();
    gain.gain.setValueAtTime(0.0001, t);
    gain.gain.exponentialRampToValueAtTime(0.15, t + 0.02);
    gain.gain.exponentialRampToValueAtTime(0.0001, t + 0.4);
    gain.connect(ctx.destination);
    [880, 1320].forEach((f, i) => {
      const osc = /** @type {AudioContext} */ (ctx).createOscillator();
      osc.frequency.value = f;
      osc.connect(gain);
      osc.start(t + i * 0.12);
      osc.stop(t + 0.4);
    });
  } catch { /* no audio */ }
}
