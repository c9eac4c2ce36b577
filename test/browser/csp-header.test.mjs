// The Content-Security-Policy as most servers send it: one header on every response, the page, the
// loader, the worker script and the .wasm alike (docs/install.md, "Content-Security-Policy, CORS
// and MIME type"). A worker runs under its own script's policy, so with that server the Worker
// needs 'wasm-unsafe-eval' as the page does. The policy is the docs' own line, word for word; the
// page carries no inline script, since that policy allows none.
import assert from 'node:assert/strict';
import fs from 'node:fs/promises';
import http from 'node:http';
import path from 'node:path';
import { after, before } from 'node:test';
import { test, useBrowser, waitForAll, waitForUserpilot, waitForHeap, finalCalls, bridgeReady, bridgeStats, waitForIdle, assertNoPageErrors } from './harness.mjs';
import { ROOT, DIST, STANDINS } from './server.mjs';
import { codeBlock } from '../readme.mjs';
import * as heap from './expect.mjs';

const h = useBrowser();
const [, POLICY] = /^Content-Security-Policy: (.+)\n$/.exec(codeBlock('Content-Security-Policy: '));
assert.match(POLICY, /'wasm-unsafe-eval'/);

const MIME = { '.html': 'text/html; charset=utf-8', '.js': 'text/javascript; charset=utf-8', '.wasm': 'application/wasm' };

// The page and its scripts: everything comes from files, as a policy without 'unsafe-inline' wants.
const FILES = {
  '/index.html': `<!doctype html><html><head><meta charset="utf-8"><title>csp</title>
<script src="/dist/userpilot-heap-bridge.js"></script>
<script src="/app/settings.js"></script>
<script src="/examples/demo/standins/userpilot/latest.js"></script>
<script src="/app/heap-snippet.js"></script>
<script src="/app/identify.js"></script>
</head><body></body></html>`,
  '/app/settings.js': 'window.userpilotSettings = { token: "app-token", standInOnMode: "single" }; window.heapStandInCdn = "/heap-cdn";',
  '/app/identify.js': 'userpilot.identify("alice");',
};

// Same URL shapes as the demo server for the stand-ins' own loads.
const ALIASES = [
  [/^\/examples\/demo\/standins\/userpilot\/version\/[^/]+\/app\.js$/, path.join(STANDINS, 'userpilot/app.js')],
  [/^\/heap-cdn\/js\/heap-[^/]+\.js$/, path.join(STANDINS, 'heap/heap-sdk.js')],
  [/^\/heap-cdn\/config\/[^/]+\/heap_config\.js$/, path.join(STANDINS, 'heap/heap-sdk.js')],
  [/^\/app\/heap-snippet\.js$/, path.join(STANDINS, 'heap/classic-snippet.js')],
  [/^\/dist\//, (p) => path.join(DIST, p.slice('/dist/'.length))],
];

// serveWithPolicy answers every request, found or not, with the one Content-Security-Policy header.
async function serveWithPolicy(policy) {
  const server = http.createServer(async (req, res) => {
    const p = decodeURIComponent(new URL(req.url, 'http://127.0.0.1').pathname);
    const headers = { 'content-security-policy': policy, 'cache-control': 'no-store' };
    try {
      let body = FILES[p];
      if (body === undefined) {
        const alias = ALIASES.find(([re]) => re.test(p));
        const file = alias ? (typeof alias[1] === 'function' ? alias[1](p) : alias[1]) : path.join(ROOT, p);
        body = await fs.readFile(file);
      }
      res.writeHead(200, { ...headers, 'content-type': MIME[path.extname(p)] || 'application/octet-stream' });
      res.end(body);
    } catch {
      res.writeHead(404, { ...headers, 'content-type': 'text/plain' });
      res.end('not found');
    }
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${server.address().port}/index.html`, close: () => new Promise((r) => { server.closeAllConnections(); server.close(r); }) };
}

let withPolicy, withoutWasmEval;
before(async () => {
  withPolicy = await serveWithPolicy(POLICY);
  withoutWasmEval = await serveWithPolicy(POLICY.replace(" 'wasm-unsafe-eval'", ''));
});
after(async () => {
  await withPolicy?.close();
  await withoutWasmEval?.close();
});

test("the docs' policy, sent on every response: the module runs in the Worker, a flow reaches Heap once", async () => {
  const s = await h.visit(withPolicy.url);
  await waitForAll(s.page);
  await heap.runFlow7(s.page);
  assert.deepEqual(await finalCalls(s.page, 4), [heap.identify('alice'), ...heap.flow7('alice')]);
  await waitForIdle(s.page);
  const st = await bridgeStats(s.page);
  assert.deepEqual({ thread: st.thread, forwarded: st.forwarded, dropped: st.dropped }, { thread: 'worker', forwarded: 3, dropped: 0 });
  const fallback = s.console.filter((m) => m.text.startsWith('userpilot-heap-bridge: ') && /main thread/.test(m.text));
  assert.deepEqual(fallback, [], 'no fallback to the main thread');
  await assertNoPageErrors(s);
});

test("the same header without 'wasm-unsafe-eval': the Worker cannot compile the module either; ready() names the directive; the page runs on", async () => {
  const s = await h.visit(withoutWasmEval.url);
  assert.match(await bridgeReady(s.page), /wasm-unsafe-eval/);
  await waitForUserpilot(s.page);
  await waitForHeap(s.page);
  await assertNoPageErrors(s);
});
