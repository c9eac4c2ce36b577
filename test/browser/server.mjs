// Local HTTP server for the browser tests: serves the repo root, ad-hoc pages and broken wasm files.
import http from 'node:http';
import fs from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const STANDINS = path.join(ROOT, 'examples/demo/standins');
// BRIDGE_DIST lets the suite run against another build of the bridge than the repo's dist/.
export const DIST = path.resolve(process.env.BRIDGE_DIST || path.join(ROOT, 'dist'));

const MIME = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.json': 'application/json',
  '.css': 'text/css; charset=utf-8',
  '.wasm': 'application/wasm',
};

// Same URL shapes as the demo server, so local-only pages (CSP) can load the stand-ins.
const ALIASES = [
  [/^\/examples\/demo\/standins\/userpilot\/version\/[^/]+\/app\.js$/, 'examples/demo/standins/userpilot/app.js'],
  [/^\/heap-cdn\/js\/heap-[^/]+\.js$/, 'examples/demo/standins/heap/heap-sdk.js'],
  [/^\/heap-cdn\/config\/[^/]+\/heap_config\.js$/, 'examples/demo/standins/heap/heap-sdk.js'],
];

// startServer serves the repository (or root) on 127.0.0.1. cors: 'all' sends
// Access-Control-Allow-Origin: * with every file, 'scripts' only with .js files (a CDN that forgot
// the .wasm), none by default.
export async function startServer({ cors, root = ROOT } = {}) {
  const pages = new Map();
  let nextPage = 0;

  const server = http.createServer(async (req, res) => {
    const url = new URL(req.url, 'http://127.0.0.1');
    const p = decodeURIComponent(url.pathname);
    try {
      if (pages.has(p)) {
        const { html, headers } = pages.get(p);
        res.writeHead(200, { 'content-type': MIME['.html'], 'cache-control': 'no-store', ...headers });
        return res.end(html);
      }
      if (p === '/broken/404.wasm') return send(res, 404, 'text/plain', 'not found');
      // A single-page app's fallback: every unknown path answers with the app's HTML.
      if (p === '/broken/spa.wasm') return send(res, 200, MIME['.html'], '<!doctype html><html><head><title>app</title></head><body><div id="root"></div></body></html>');
      if (p === '/broken/corrupt.wasm') return send(res, 200, MIME['.wasm'], Buffer.from('this is not a wasm module'));
      if (p === '/broken/wrong-mime.wasm') {
        const body = await fs.readFile(path.join(DIST, 'userpilot-heap-bridge.wasm'));
        return send(res, 200, 'application/octet-stream', body);
      }
      const alias = ALIASES.find(([re]) => re.test(p));
      const [base, rel] = p.startsWith('/dist/') && root === ROOT ? [DIST, p.slice(5)] : [root, alias ? '/' + alias[1] : p];
      const file = path.resolve(base, '.' + rel);
      if (!file.startsWith(base + path.sep)) return send(res, 403, 'text/plain', 'forbidden');
      const body = await fs.readFile(file);
      const ext = path.extname(file);
      if (cors === 'all' || (cors === 'scripts' && ext === '.js')) res.setHeader('access-control-allow-origin', '*');
      return send(res, 200, MIME[ext] || 'application/octet-stream', body);
    } catch {
      return send(res, 404, 'text/plain', 'not found');
    }
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  const origin = `http://127.0.0.1:${server.address().port}`;

  return {
    origin,
    url: (p) => origin + p,
    // page registers an HTML document (optionally with response headers) and returns its URL.
    page(html, { headers = {} } = {}) {
      const p = `/pages/${++nextPage}.html`;
      pages.set(p, { html, headers });
      return origin + p;
    },
    close: () => new Promise((resolve) => { server.closeAllConnections(); server.close(resolve); }),
  };
}

function send(res, status, type, body) {
  res.writeHead(status, { 'content-type': type, 'cache-control': 'no-store' });
  res.end(body);
}
