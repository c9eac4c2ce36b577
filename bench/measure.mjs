// Shared by the benchmarks: medians, compressed sizes (internal/testkit/sizes.mjs, which the
// budget tests share) and table rows, so every report reads alike.
export { sizesOf } from '../internal/testkit/sizes.mjs';

// envInt reads an integer setting (rounds, loads, ...) from the environment, refusing nonsense.
export function envInt(name, fallback, min) {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < min) throw new Error(`${name}=${raw}: expected an integer >= ${min}`);
  return n;
}

export function median(xs) {
  const s = [...xs].sort((a, b) => a - b), m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

export const times = (x) => (x === null || x === undefined ? 'n/a' : `${x.toFixed(2)}x`);
export const row = (cells, widths) => cells.map((c, i) => (i === 0 ? String(c).padEnd(widths[i]) : String(c).padStart(widths[i]))).join('');
