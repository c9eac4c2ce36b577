// Compressed sizes of a file, as the benchmarks report them and the budget tests hold them.
import zlib from 'node:zlib';

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
