// installPackage installs dist/ into an app folder the way npm would from the registry: npm pack
// makes the tarball (so only the files package.json lists travel), and it is unpacked into the
// app's node_modules/userpilot-heap-bridge. Other packages the app needs are linked from the repo.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { DIST, ROOT } from '../browser/server.mjs';

export { DIST, ROOT };

// tempDir makes a folder under the system's temporary directory; remove it with fs.rmSync.
export const tempDir = (name) => fs.mkdtempSync(path.join(os.tmpdir(), `uhb-${name}-`));

export function installPackage(app, { link = [] } = {}) {
  const packs = tempDir('pack');
  try {
    const [pack] = JSON.parse(execFileSync('npm', ['pack', DIST, '--json', '--pack-destination', packs], { encoding: 'utf8' }));
    const into = path.join(app, 'node_modules', 'userpilot-heap-bridge');
    fs.mkdirSync(into, { recursive: true });
    execFileSync('tar', ['-xzf', path.join(packs, pack.filename), '-C', into, '--strip-components=1']);
  } finally {
    fs.rmSync(packs, { recursive: true, force: true });
  }
  for (const name of link) fs.symlinkSync(path.join(ROOT, 'node_modules', name), path.join(app, 'node_modules', name), 'dir');
}
