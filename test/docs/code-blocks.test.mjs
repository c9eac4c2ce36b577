// Every code block of the README and of the docs/ pages it links to is checked here: its code
// parses (JavaScript, the scripts inside HTML, shell, JSON, TOML lines, policies, HTTP requests),
// and what it names exists (make targets, npx tools, the tarball's version, the package's files).
// The blocks the browser, package and demo tests run word for word are run there as well.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { transformSync } from 'esbuild';
import { PAGES, codeBlocks } from '../readme.mjs';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const pkg = JSON.parse(readFileSync(path.join(ROOT, 'js/package.json'), 'utf8'));
const devDependencies = Object.keys(JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')).devDependencies);
const targets = new Set([...readFileSync(path.join(ROOT, 'Makefile'), 'utf8').matchAll(/^([\w-]+):/gm)].map((m) => m[1]));
// Tools a user runs with npx that this repository does not install: Cloudflare's deploy tool.
const USER_TOOLS = new Set(['wrangler']);

const parseJS = (code, where) => {
  try {
    transformSync(code, { loader: 'js', format: 'esm', logLevel: 'silent' });
  } catch (e) {
    assert.fail(`${where}: the JavaScript does not parse: ${e.message}`);
  }
};

// check runs the checks of one block; it throws naming the page and the block's first line.
function check({ lang, code }, where) {
  const lines = code.split('\n').map((l) => l.trim()).filter((l) => l !== '');
  switch (lang) {
    case 'js':
      return parseJS(code, where);
    case 'html': {
      const scripts = [...code.matchAll(/<script(?:\s+[\w-]+(?:="[^"]*")?)*\s*>([\s\S]*?)<\/script>/g)].map((m) => m[1]);
      assert.ok(scripts.length > 0, `${where}: an HTML block without a script`);
      return scripts.forEach((s) => parseJS(s, where));
    }
    case 'json':
      return JSON.parse(code);
    case 'sh': {
      execFileSync('bash', ['-n', '-c', code]);
      for (const line of lines) {
        const make = /^make ([\w-]+)/.exec(line) || /\bmake ([\w-]+)$/.exec(line.replace(/\s+#.*$/, ''));
        if (make) assert.ok(targets.has(make[1]), `${where}: make ${make[1]} is not a target of the Makefile`);
        const npx = /^npx ([\w-]+)/.exec(line);
        if (npx) assert.ok(devDependencies.includes(npx[1]) || USER_TOOLS.has(npx[1]), `${where}: npx ${npx[1]} is not a devDependency`);
        for (const m of line.matchAll(/userpilot-heap-bridge-(\d[\w.-]*?)\.tgz/g)) {
          assert.equal(m[1], pkg.version, `${where}: the tarball's version is js/package.json's`);
        }
        for (const m of line.matchAll(/node_modules\/userpilot-heap-bridge\/([\w.-]+)/g)) {
          assert.ok(pkg.files.includes(m[1]), `${where}: the package ships no ${m[1]}`);
        }
      }
      return;
    }
    case 'toml':
      for (const line of lines) assert.match(line, /^(#.*|[\w.]+ = .+|\{ \w+ = .+ \},?|\])$/, `${where}: a TOML line`);
      return;
    case '':
      if (/^(POST|GET) /.test(lines[0])) {
        assert.match(lines[0], /^(POST|GET) (https?:\/\/|<)[^ ]+$/, `${where}: an HTTP request line`);
        const blank = code.indexOf('\n\n');
        return blank < 0 ? undefined : JSON.parse(code.slice(blank));
      }
      for (const line of lines) {
        assert.match(line, /^(Content-Security-Policy: )?([a-z-]+( '[\w-]+'| [\w:/.-]+)+;? ?)+$/, `${where}: a Content-Security-Policy line`);
      }
      return;
    default:
      assert.fail(`${where}: a code block in ${lang}, which this test cannot check`);
  }
}

for (const [page, text] of PAGES) {
  const blocks = codeBlocks(text);
  test(`${page}: every code block parses and names what exists (${blocks.length} blocks)`, () => {
    for (const block of blocks) check(block, `${page}, the ${block.lang || 'plain'} block "${block.code.split('\n')[0]}"`);
  });
}

// The checks themselves, on blocks made up here, so a checker that passes everything cannot go unseen.
test('the checker refuses broken blocks', () => {
  const bad = [
    { lang: 'js', code: 'import { x from "y";\n' },
    { lang: 'html', code: '<script>window.a = {;</script>\n' },
    { lang: 'sh', code: 'make no-such-target\n' },
    { lang: 'sh', code: 'npx left-pad\n' },
    { lang: 'sh', code: 'npm install ./userpilot-heap-bridge-9.9.9.tgz\n' },
    { lang: 'sh', code: 'cp node_modules/userpilot-heap-bridge/nothing.js dist/\n' },
    { lang: 'sh', code: 'if then\n' },
    { lang: 'json', code: '{"a": }\n' },
    { lang: 'toml', code: 'routes =\n' },
    { lang: '', code: "script-src: 'self';\n" },
    { lang: 'yaml', code: 'a: b\n' },
  ];
  for (const b of bad) assert.throws(() => check(b, 'made up'), undefined, JSON.stringify(b));
  check({ lang: 'sh', code: `make pack\nnpm install ./userpilot-heap-bridge-${pkg.version}.tgz\n` }, 'made up');
});
