// build.mjs writes dist/userpilot-heap-bridge.js: the loader with Go's wasm_exec.js (from the Go
// release that built the module) inside it, run against a private scope instead of window.
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const args = Object.fromEntries(process.argv.slice(2).reduce((pairs, a, i, all) => {
  if (a.startsWith('--')) pairs.push([a.slice(2), all[i + 1]]);
  return pairs;
}, []));
if (!args['wasm-exec'] || !args.out) {
  console.error('usage: node js/build.mjs --wasm-exec PATH/wasm_exec.js --out dist/userpilot-heap-bridge.js');
  process.exit(2);
}

const { version } = JSON.parse(readFileSync(join(here, 'package.json'), 'utf8'));
let runtime = readFileSync(args['wasm-exec'], 'utf8');

// wasm_exec.js writes Go's stdout through a bare `fs`; point it at the scope's fs instead.
const bareFs = /(^|[^.\w])fs\.writeSync\(/gm;
const hits = runtime.match(bareFs) || [];
if (hits.length !== 1) {
  console.error(`build.mjs: expected one bare fs.writeSync in wasm_exec.js, found ${hits.length}; check this Go release`);
  process.exit(1);
}
runtime = runtime.replace(bareFs, '$1globalThis.fs.writeSync(');
if (!runtime.includes('globalThis.Go = class')) {
  console.error('build.mjs: wasm_exec.js no longer defines globalThis.Go; check this Go release');
  process.exit(1);
}

const wrapped = `function (globalThis) {\n${runtime}\nreturn globalThis.Go;\n}`;
let loader = readFileSync(join(here, 'loader.js'), 'utf8');
if (!loader.includes('/*__WASM_EXEC__*/null')) {
  console.error('build.mjs: loader.js lost its /*__WASM_EXEC__*/ placeholder');
  process.exit(1);
}
loader = loader.replace('/*__WASM_EXEC__*/null', () => wrapped).replaceAll('__VERSION__', version);
writeFileSync(args.out, loader);
console.log(`wrote ${args.out} (${loader.length} bytes, version ${version})`);
