// Page builders: the snippets a customer's page carries, as HTML fragments to combine in any order.
import fs from 'node:fs';
import path from 'node:path';
import { STANDINS } from './server.mjs';

const read = (f) => fs.readFileSync(path.join(STANDINS, f), 'utf8');
const json = (v) => JSON.stringify(v).replace(/</g, '\\u003c');

export const BRIDGE_SRC = '/dist/userpilot-heap-bridge.js';
// The CDNs' URLs as the test server answers them (server.mjs), the same in every engine.
export const USERPILOT_CDN = '/cdn/js.userpilot.io/sdk/latest.js';
const HEAP_CDN = { classic: '/cdn/cdn.heapanalytics.com', v5: '/cdn/cdn.us.heap-api.com' };
export const USERPILOT_LOCAL = '/examples/demo/standins/userpilot/latest.js';

export const script = (code) => `<script>${code}</script>`;

export function document(...parts) {
  return `<!doctype html><html><head><meta charset="utf-8"><title>test</title></head><body>\n${parts.join('\n')}\n</body></html>`;
}

// The host app's own handler, registered right after the snippet; it counts into window.hostCalls.
const HOST_HANDLER = "window.hostCalls = []; userpilot.on('completed', function (e) { hostCalls.push(e && e.id); });";

// userpilotSnippet is Userpilot's documented CDN snippet plus the host's handler.
// settings adds keys to userpilotSettings (standInNativeHeap, ...); heapInterface is a JS expression
// put in userpilotSettings.integrations_interfaces.heap, as a page hands Userpilot its Heap.
export function userpilotSnippet({ mode = 'single', token = 'app-token', src = USERPILOT_CDN, host = true, settings = {}, heapInterface } = {}) {
  const base = json({ token, standInOnMode: mode, ...settings });
  const assign = heapInterface === undefined ? base
    : `Object.assign(${base}, { integrations_interfaces: { heap: ${heapInterface} } })`;
  return [
    script(`window.userpilotSettings = ${assign};`),
    `<script src="${src}"></script>`,
    host ? script(HOST_HANDLER) : '',
  ].join('\n');
}

// userpilotNpm loads the real npm wrapper as a plain script and uses it like an app would.
export function userpilotNpm({ mode = 'single', token = 'app-token', identify = 'alice', settings = {} } = {}) {
  return [
    '<script src="/node_modules/userpilot/lib/index.js"></script>',
    script(`Userpilot.initialize(${json(token)}, ${json({ standInOnMode: mode, ...settings })});
      window.hostCalls = []; Userpilot.on('completed', function (e) { hostCalls.push(e && e.id); });
      ${identify === null ? '' : `Userpilot.identify(${json(identify)});`}`),
  ].join('\n');
}

// heapSnippet inlines Heap's classic or heap.js 5 snippet; cdn points it elsewhere than the test server's /cdn/.
export function heapSnippet(kind = 'classic', { cdn = HEAP_CDN[kind === 'v5' ? 'v5' : 'classic'] } = {}) {
  const code = read(kind === 'v5' ? 'heap/v5-snippet.js' : 'heap/classic-snippet.js');
  return (cdn ? script(`window.heapStandInCdn = ${json(cdn)};`) : '') + script(code);
}

// BRIDGE_THREAD=main reruns a test file with the module on the main thread (make test-browser).
const THREAD = process.env.BRIDGE_THREAD;

// async: false gives the tag the README recommends (first in <head>, without async).
export function bridgeTag({ settings, src = BRIDGE_SRC, async = true } = {}) {
  if (THREAD) settings = { thread: THREAD, ...settings };
  return (settings ? script(`window.userpilotHeapBridgeSettings = ${json(settings)};`) : '') +
    `<script src="${src}"${async ? ' async' : ''}></script>`;
}

export const identify = (id) => script(`userpilot.identify(${json(id)});`);
