// Shared by the benchmarks: medians, compressed sizes and table rows, so every report reads alike.
import zlib from 'node:zlib';

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

// sizesOf gives a file's bytes raw, gzip -9 and brotli quality 11, as a CDN or Cloudflare would send them.
export function sizesOf(buf) {
  return {
    raw: buf.length,
    gzip: zlib.gzipSync(buf, { level: 9 }).length,
    brotli: zlib.brotliCompressSync(buf, {
      params: { [zlib.constants.BROTLI_PARAM_QUALITY]: 11, [zlib.constants.BROTLI_PARAM_SIZE_HINT]: buf.length }
    }).length
  };
}

export const times = (x) => (x === null || x === undefined ? 'n/a' : `${x.toFixed(2)}x`);
export const row = (cells, widths) => cells.map((c, i) => (i === 0 ? String(c).padEnd(widths[i]) : String(c).padStart(widths[i]))).join('');
