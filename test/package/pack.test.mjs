// `make pack`, the install path the README gives until the name is published: it writes
// userpilot-heap-bridge-<version>.tgz in the repository's root, holding what npm pack makes of
// dist/, and `npm install ./userpilot-heap-bridge-<version>.tgz` in a project made by `npm init -y`
// installs it without the registry. The release workflow publishes the same dist/ once tagged.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { after, test } from 'node:test';
import { DIST, ROOT, tempDir } from './install.mjs';
import { README, codeBlock } from '../readme.mjs';

const pkg = JSON.parse(fs.readFileSync(path.join(DIST, 'package.json'), 'utf8'));
const tarball = path.join(ROOT, `userpilot-heap-bridge-${pkg.version}.tgz`);
const app = tempDir('pack');
after(() => fs.rmSync(app, { recursive: true, force: true }));

test('make pack writes userpilot-heap-bridge-<version>.tgz with exactly the files of js/package.json', () => {
  execFileSync('make', ['-s', 'pack'], { cwd: ROOT, stdio: 'pipe' });
  assert.ok(fs.existsSync(tarball), `${tarball} exists`);
  const listed = execFileSync('tar', ['-tzf', tarball], { encoding: 'utf8' }).split('\n').filter(Boolean).map((f) => f.replace(/^package\//, '')).sort();
  assert.deepEqual(listed, [...pkg.files, 'package.json'].sort());
});

test("the README's install line installs the tarball in a project made by npm init -y, without the registry", () => {
  execFileSync('npm', ['init', '-y'], { cwd: app, stdio: 'pipe' });
  const line = codeBlock('npm install ./userpilot-heap-bridge-').trim();
  assert.match(line, new RegExp(`^npm install \\./userpilot-heap-bridge-${pkg.version.replace(/\./g, '\\.')}\\.tgz\\b`));
  fs.copyFileSync(tarball, path.join(app, path.basename(tarball)));
  execFileSync('npm', ['install', '--offline', '--no-audit', '--no-fund', `./${path.basename(tarball)}`], { cwd: app, stdio: 'pipe' });
  const version = execFileSync(process.execPath, ['-p', "require('userpilot-heap-bridge').version"], { cwd: app, encoding: 'utf8' }).trim();
  assert.equal(version, pkg.version);
  assert.match(README, /`npm install userpilot-heap-bridge` does \*\*not\*\* work yet/, 'the README says plainly which way works now');
});

test('the release workflow checks the tag against the version, runs make test, and publishes dist/ with provenance', () => {
  const workflow = fs.readFileSync(path.join(ROOT, '.github/workflows/release.yml'), 'utf8');
  assert.match(workflow, /tags: \["v\*"\]/);
  assert.match(workflow, /id-token: write/);
  assert.match(workflow, /test "\$\{GITHUB_REF_NAME\}" = "v\$\(node -p 'require\("\.\/js\/package\.json"\)\.version'\)"/);
  const runs = [...workflow.matchAll(/^\s+run: (.+)$/gm)].map((m) => m[1]);
  assert.ok(runs.indexOf('make test') >= 0 && runs.indexOf('make test') < runs.findIndex((r) => r.startsWith('npm publish')), runs.join('\n'));
  assert.ok(runs.includes('npm publish ./dist --provenance --access public'));
  const releasing = fs.readFileSync(path.join(ROOT, 'docs/releasing.md'), 'utf8');
  assert.ok(releasing.includes('npm publish ./dist --provenance --access public'), 'docs/releasing.md names the same command');
});
