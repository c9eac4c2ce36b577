// build.mjs turns dist/ into the shippable package: the worker script with Go's wasm_exec.js (from
// the Go release that built the module) inside it; the loader, which carries the module's and the
// worker script's names and SRI hashes; both minified with terser; content-hashed copies for
// long-lived CDN caching; the package's entries (ES module and CommonJS for pages and bundlers,
// inert ones for Node and server-side rendering) and type declarations; package.json with the
// README, LICENSE and CHANGELOG; and manifest.json with every file's size and sha384. The version
// comes from js/package.json alone.
import { createHash } from 'node:crypto';
import { copyFileSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build as esbuild } from 'esbuild';
import { minify as terser } from 'terser';

const here = dirname(fileURLToPath(import.meta.url));
const args = Object.fromEntries(process.argv.slice(2).reduce((pairs, a, i, all) => {
  if (a.startsWith('--')) pairs.push([a.slice(2), all[i + 1]]);
  return pairs;
}, []));
if (!args['wasm-exec'] || !args.wasm || !args.out) {
  console.error('usage: node js/build.mjs --wasm-exec PATH/wasm_exec.js --wasm dist/userpilot-heap-bridge.wasm --out dist');
  process.exit(2);
}
const die = (msg) => { console.error(`build.mjs: ${msg}`); process.exit(1); };
const sri = (bytes) => 'sha384-' + createHash('sha384').update(bytes).digest('base64');
const short = (bytes) => createHash('sha384').update(bytes).digest('hex').slice(0, 12);
// minify keeps the leading /*! license */ comment. Terser, with its safe transforms only (no
// unsafe, no pure_getters: the loader reads page objects whose getters may throw), makes the
// loader about 3% smaller after brotli than esbuild does; the budget is tight (budgets.json).
const minify = async (code) => (await terser(code, { ecma: 2017, compress: { passes: 3 }, mangle: true, format: { comments: /^!/ } })).code;

const pkg = JSON.parse(readFileSync(join(here, 'package.json'), 'utf8'));
const out = args.out;
const wasmName = basename(args.wasm);
const wasm = readFileSync(args.wasm);
const base = wasmName.replace(/\.wasm$/, '');

let runtime = readFileSync(args['wasm-exec'], 'utf8');
// wasm_exec.js writes Go's stdout through a bare `fs`; point it at the scope's fs instead.
const bareFs = /(^|[^.\w])fs\.writeSync\(/gm;
const hits = runtime.match(bareFs) || [];
if (hits.length !== 1) die(`expected one bare fs.writeSync in wasm_exec.js, found ${hits.length}; check this Go release`);
runtime = runtime.replace(bareFs, '$1globalThis.fs.writeSync(');
if (!runtime.includes('globalThis.Go = class')) die('wasm_exec.js no longer defines globalThis.Go; check this Go release');
// TextDecoder drops a leading U+FEFF by default, so a Go string would reach the page changed
// after Go checked it (an id "\ufeffguest" would arrive as "guest"); keep every character.
const decoderDecl = 'const decoder = new TextDecoder("utf-8");';
if (runtime.split(decoderDecl).length !== 2) die('expected one TextDecoder in wasm_exec.js; check this Go release');
runtime = runtime.replace(decoderDecl, 'const decoder = new TextDecoder("utf-8", { ignoreBOM: true });');

// bundle turns an entry and the ES modules it imports (js/src/) into one script: esbuild joins
// them in one function scope, renaming what two modules both declare; the entry's first line, its
// /*! license */ comment, heads the script.
const bundle = async (file) => {
  const entry = join(here, file);
  const license = readFileSync(entry, 'utf8').split('\n')[0];
  if (!license.startsWith('/*!')) die(`${file} must start with its /*! license */ comment`);
  const result = await esbuild({ entryPoints: [entry], bundle: true, format: 'esm', target: 'es2017', write: false, legalComments: 'none', logLevel: 'error' });
  return `${license}\n(function () {\n'use strict';\n${result.outputFiles[0].text}})();\n`;
};

const fill = (template, marks, values) => {
  for (const mark of marks) if (!template.includes(mark)) die(`a template lost its ${mark} placeholder`);
  let text = template;
  for (const [mark, value] of Object.entries(values)) text = text.replaceAll(mark, () => value);
  return text;
};

// The worker script does not name the module (the loader passes its URL), so one copy serves both loaders.
const workerTemplate = await bundle('worker.js');
const worker = await minify(fill(workerTemplate, ['__WASM_EXEC__', '__VERSION__'], {
  __WASM_EXEC__: `function (globalThis) {\n${runtime}\nreturn globalThis.Go;\n}`,
  __VERSION__: pkg.version,
}));
const workerName = `${base}.worker.js`;

const loaderTemplate = await bundle('src/boot.js');
const loaderMarks = ['__WASM_FILE__', '__WASM_INTEGRITY__', '__WORKER_FILE__', '__WORKER_INTEGRITY__', '__VERSION__'];
const loaderFor = async (wasmFile, workerFile) => minify(fill(loaderTemplate, loaderMarks, {
  __VERSION__: pkg.version,
  __WASM_FILE__: wasmFile,
  __WASM_INTEGRITY__: sri(wasm),
  __WORKER_FILE__: workerFile,
  __WORKER_INTEGRITY__: sri(Buffer.from(worker)),
}));

// Old hashed copies would pile up across builds; each build writes its own.
for (const f of readdirSync(out)) {
  if (/^userpilot-heap-bridge\.[0-9a-f]{12}(\.worker)?\.(js|wasm)$/.test(f)) rmSync(join(out, f));
}
writeFileSync(join(out, workerName), worker);
const loader = await loaderFor(wasmName, workerName);
writeFileSync(join(out, `${base}.js`), loader);
const hashedWasm = `${base}.${short(wasm)}.wasm`;
copyFileSync(args.wasm, join(out, hashedWasm));
const hashedWorker = `${base}.${short(Buffer.from(worker))}.worker.js`;
writeFileSync(join(out, hashedWorker), worker);
const hashedLoaderText = await loaderFor(hashedWasm, hashedWorker);
const hashedLoader = `${base}.${short(Buffer.from(hashedLoaderText))}.js`;
writeFileSync(join(out, hashedLoader), hashedLoaderText);

const entries = ['index.mjs', 'index.cjs', 'server.mjs', 'server.cjs', 'wasm-url.mjs', 'index.d.ts', 'index.d.cts'];
const server = fill(readFileSync(join(here, 'server.cjs'), 'utf8'), ['__VERSION__', "'use strict';\n", 'module.exports = Object.freeze('], { __VERSION__: pkg.version });
writeFileSync(join(out, 'server.cjs'), server);
// server.mjs is the same code as an ES module, which browsers can load too (index.mjs imports it).
writeFileSync(join(out, 'server.mjs'), `// Written by build.mjs from server.cjs: the same inert API as an ES module.\n${server
  .replace("'use strict';\n", '').replace('module.exports = Object.freeze(', 'const bridge = Object.freeze(')}
export default bridge;
export const { version, ready, stats, configure, setConsent, history, clearHistory, whenForwarded } = bridge;
`);
for (const f of entries.filter((f) => !f.startsWith('server.'))) {
  writeFileSync(join(out, f), readFileSync(join(here, f), 'utf8'));
}
for (const f of ['README.md', 'LICENSE', 'CHANGELOG.md']) copyFileSync(join(here, '..', f), join(out, f));
const changelogVersion = (readFileSync(join(here, '..', 'CHANGELOG.md'), 'utf8').match(/^## (\S+)/m) || [])[1];
if (changelogVersion !== pkg.version) die(`CHANGELOG.md's latest entry is ${changelogVersion}, js/package.json says ${pkg.version}; write the entry for this version`);
writeFileSync(join(out, 'package.json'), JSON.stringify(pkg, null, 2) + '\n');

const files = {};
for (const f of [`${base}.js`, wasmName, workerName, hashedLoader, hashedWasm, hashedWorker, ...entries]) {
  const bytes = readFileSync(join(out, f));
  files[f] = { bytes: statSync(join(out, f)).size, integrity: sri(bytes) };
}
const manifest = { name: pkg.name, version: pkg.version, loader: hashedLoader, module: hashedWasm, worker: hashedWorker, files };
writeFileSync(join(out, 'manifest.json'), JSON.stringify(manifest, null, 2) + '\n');
console.log(`wrote ${out}/${base}.js (${loader.length} bytes), ${workerName} (${worker.length} bytes), ${hashedLoader}, ${hashedWorker}, ${hashedWasm}, manifest.json (version ${pkg.version})`);
