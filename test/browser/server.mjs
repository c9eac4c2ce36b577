// Local HTTP server for the browser tests: serves the repo root, ad-hoc pages, broken wasm files and
// the CDN stand-ins at /cdn/<host>/<path>, so every engine loads them the same way.
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

// CDN paths answered with the stand-ins; `gate` names what a test may hold back or block.
const CDN = [
  { re: /^\/cdn\/js\.userpilot\.io\/sdk\/latest\.js$/, file: 'userpilot/latest.js', gate: 'userpilotShim' },
  { re: /^\/cdn\/js\.userpilot\.io\/sdk\/version\/[^/]+\/app\.js$/, file: 'userpilot/app.js', gate: 'userpilotApp' },
  { re: /^\/cdn\/cdn\.heapanalytics\.com\/js\/heap-[^/]+\.js$/, file: 'heap/heap-sdk.js', gate: 'heap' },
  { re: /^\/cdn\/cdn\.us\.heap-api\.com\/config\/[^/]+\/heap_config\.js$/, file: 'heap/heap-sdk.js', gate: 'heap' },
];
// Other names a test may hold or block: the module and the worker script, wherever they are served from.
const GATES = {
  wasm: (p) => p.endsWith('.wasm'),
  worker: (p) => p.endsWith('.worker.js'),
};
const gateOf = (p) => CDN.find((c) => c.re.test(p))?.gate || Object.keys(GATES).find((g) => GATES[g](p));

// Every request any test server answered, in order: a session reads those made since it began.
export const requestLog = [];

// startServer serves the repository (or root) on 127.0.0.1. cors: 'all' sends
// Access-Control-Allow-Origin: * with every file, 'scripts' only with .js files (a CDN that forgot
// the .wasm), none by default.
// pageScript is HTML put first in every ad-hoc page (a driver's console capture).
// rules (set per test with server.rules()) hold, block or intercept requests by path:
//   hold: names whose requests wait until release(name); block: names whose requests fail as a
//   blocked request does; intercept(path): 'block' | 'hang' | a promise to wait for | undefined.
export async function startServer({ cors, root = ROOT, pageScript = '' } = {}) {
  const pages = new Map();
  let nextPage = 0;
  let origin;
  let active = emptyRules();

  const server = http.createServer(async (req, res) => {
    const url = new URL(req.url, 'http://127.0.0.1');
    const p = decodeURIComponent(url.pathname);
    requestLog.push(origin + req.url);
    try {
      const gate = gateOf(p);
      const verdict = active.intercept ? await active.intercept(p) : undefined;
      if (verdict === 'hang') return;
      if (verdict === 'block' || (gate && active.block.has(gate))) return req.socket.destroy();
      if (gate && active.hold.has(gate)) await active.hold.get(gate).promise;
      if (pages.has(p)) {
        const { html, headers } = pages.get(p);
        res.writeHead(200, { 'content-type': MIME['.html'], 'cache-control': 'no-store', ...headers });
        return res.end(pageScript ? html.replace(/<head>|(?=<script)/i, (m) => m + pageScript) : html);
      }
      const cdn = CDN.find((c) => c.re.test(p));
      if (cdn) return send(res, 200, MIME['.js'], await fs.readFile(path.join(STANDINS, cdn.file)));
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
  origin = `http://127.0.0.1:${server.address().port}`;

  return {
    origin,
    url: (p) => origin + p,
    // page registers an HTML document (optionally with response headers) and returns its URL.
    page(html, { headers = {} } = {}) {
      const p = `/pages/${++nextPage}.html`;
      pages.set(p, { html, headers });
      return origin + p;
    },
    // rules sets what this test holds, blocks or intercepts (see startServer); reset() ends them.
    rules({ hold = [], block = [], intercept } = {}) {
      active.release();
      active = emptyRules();
      for (const name of hold) active.hold.set(name, deferred());
      active.block = new Set(block);
      active.intercept = intercept;
    },
    release: (name) => active.hold.get(name)?.resolve(),
    reset() { active.release(); active = emptyRules(); },
    close: () => new Promise((resolve) => { server.closeAllConnections(); server.close(resolve); }),
  };
}

function emptyRules() {
  const hold = new Map();
  return { hold, block: new Set(), intercept: undefined, release: () => { for (const g of hold.values()) g.resolve(); } };
}

function deferred() {
  let resolve;
  const promise = new Promise((r) => { resolve = r; });
  return { promise, resolve };
}

function send(res, status, type, body) {
  res.writeHead(status, { 'content-type': type, 'cache-control': 'no-store' });
  res.end(body);
}
