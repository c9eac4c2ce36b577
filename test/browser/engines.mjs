// engines.mjs runs the browser suite in each engine, one run after another, and prints a
// pass/fail count per engine; it fails when any run failed. make test-browser calls it:
//   node test/browser/engines.mjs <run>...   each run is "name|ENV=value ...|file ...[|one process]"
// A run marked "one process" runs its files in one node process, so they share one browser (a
// browser's start costs seconds in Firefox). A run whose name starts with "webkit" runs under
// xvfb-run -a (WebKit needs a display). BRIDGE_ENGINES=firefox,webkit keeps only those engines' runs.
// No run may hang CI: each test has a ceiling (harness.mjs), the runner exits when its tests are
// done (--test-force-exit), and a run still going after BROWSER_RUN_MINUTES (default 35) is killed,
// its whole process group, and counted as failed. (--test-timeout would cap a whole file, and a
// one-process run is one file.)
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';

const only = process.env.BRIDGE_ENGINES ? process.env.BRIDGE_ENGINES.split(',') : null;
const runs = process.argv.slice(2).map((arg) => {
  const [name, env, files, how = ''] = arg.split('|');
  return {
    name: name.trim(),
    oneProcess: how.trim() === 'one process',
    env: Object.fromEntries(env.trim().split(/\s+/).filter(Boolean).map((kv) => kv.split('='))),
    files: files.trim().split(/\s+/).filter(Boolean),
  };
}).filter((r) => !only || only.includes(r.name.split(' ')[0]));

const RUN_MS = Number(process.env.BROWSER_RUN_MINUTES || 35) * 60_000;
const results = [];
for (const run of runs) {
  const dir = run.oneProcess ? fs.mkdtempSync(path.join(os.tmpdir(), 'engines-')) : null;
  let files = run.files;
  if (run.oneProcess) {
    const entry = path.join(dir, 'scenarios.test.mjs');
    fs.writeFileSync(entry, files.map((f) => `import ${JSON.stringify(pathToFileURL(path.resolve(f)).href)};`).join('\n') + '\n');
    files = [entry];
  }
  const node = [process.execPath, '--test', '--test-concurrency=1', '--test-force-exit',
    '--test-reporter=spec', '--test-reporter-destination=stdout', ...files];
  const argv = run.name.startsWith('webkit') ? ['xvfb-run', '-a', ...node] : node;
  console.log(`\n=== ${run.name}: ${run.files.length} files ${Object.entries(run.env).map(([k, v]) => `${k}=${v}`).join(' ')}`);
  const started = Date.now();
  let timedOut = false, text = '';
  const code = await new Promise((resolve) => {
    // detached: the run leads its own process group (node, its test files, the browsers, Xvfb).
    // stdout is passed on and kept: its summary gives the counts (a reporter writing to a file is
    // not flushed when --test-force-exit ends the runner).
    const child = spawn(argv[0], argv.slice(1), { stdio: ['ignore', 'pipe', 'inherit'], env: { ...process.env, ...run.env }, detached: true });
    child.stdout.on('data', (chunk) => { process.stdout.write(chunk); text += chunk; });
    const kill = (signal) => { try { process.kill(-child.pid, signal); } catch { /* already gone */ } };
    const timer = setTimeout(() => {
      timedOut = true;
      console.error(`\n${run.name}: still running after ${RUN_MS / 60_000} minutes: stopping it (BROWSER_RUN_MINUTES)`);
      kill('SIGTERM');
      setTimeout(() => kill('SIGKILL'), 5_000).unref();
    }, RUN_MS);
    // The run has its own process group, so a stop meant for this runner is passed on to it.
    const interrupted = () => { kill('SIGKILL'); process.exit(130); };
    process.once('SIGINT', interrupted);
    process.once('SIGTERM', interrupted);
    child.on('exit', (c, signal) => {
      clearTimeout(timer);
      process.off('SIGINT', interrupted);
      process.off('SIGTERM', interrupted);
      kill('SIGKILL');
      // The summary may still be in the pipe: read it to its end (a stray holder gets 2 s).
      const done = () => resolve(signal ? 1 : c);
      if (child.stdout.readableEnded) done();
      else { child.stdout.once('end', done); setTimeout(done, 2_000).unref(); }
    });
    child.on('error', (e) => { clearTimeout(timer); console.error(`${run.name}: ${e.message}`); resolve(1); });
  });
  const count = (key) => Number((text.match(new RegExp(`^ℹ ${key} (\\d+)$`, 'm')) || [])[1] || 0);
  results.push({ name: run.name, pass: count('pass'), fail: count('fail'), skipped: count('skipped'),
    cancelled: count('cancelled'), seconds: Math.round((Date.now() - started) / 1000), code, timedOut,
    failing: failingTests(text) });
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
}

// failingTests reads the spec reporter's closing "failing tests:" list: each entry's name, place and
// first line of error, so that the last lines of a CI log say which test failed and why.
function failingTests(output) {
  const at = output.lastIndexOf('✖ failing tests:');
  if (at < 0) return [];
  return output.slice(at).split(/\n(?=test at )/).slice(1).map((entry) => {
    const [where, name = '', ...rest] = entry.split('\n');
    const why = rest.map((l) => l.trim()).find((l) => l && !l.startsWith('at ')) || '';
    return `${name.replace(/^\s*✖\s*/, '')}  [${where.replace('test at ', '')}]\n      ${why.slice(0, 300)}`;
  });
}

console.log('\nbrowser tests per engine:');
for (const r of results) {
  const extra = [r.timedOut && `stopped after ${RUN_MS / 60_000} minutes`, r.skipped && `${r.skipped} skipped`, r.cancelled && `${r.cancelled} cancelled`, r.code && !r.fail && !r.cancelled && `exit code ${r.code}`].filter(Boolean);
  console.log(`  ${r.name.padEnd(24)} ${String(r.pass).padStart(4)} passed ${String(r.fail).padStart(3)} failed${extra.length ? `, ${extra.join(', ')}` : ''}  (${r.seconds} s)`);
  for (const f of r.failing.slice(0, 10)) console.log(`    ✖ ${f}`);
}
process.exit(results.some((r) => r.code !== 0) || !results.length ? 1 : 0);
