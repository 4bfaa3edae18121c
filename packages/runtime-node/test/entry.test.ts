import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, it, expect } from 'vitest';
import { VERSION } from '../src/version.js';

// dist/ is built by `npm run build` before the tests run.
const pkg = fileURLToPath(new URL('..', import.meta.url));

/** Preloaded into the child: on exit, prints the parts of Node's ES module loader that only loading an ES module starts. */
const probe = join(mkdtempSync(join(tmpdir(), 'fnkit-entry-test-')), 'probe.cjs');
writeFileSync(
  probe,
  "process.on('exit', () => process.stderr.write('ESM:' + process.moduleLoadList.filter((m) => m.endsWith('internal/modules/esm/module_job')).join(',') + '\\n'));\n",
);

function run(entry: string, args: string[]) {
  const r = spawnSync(process.execPath, ['-r', probe, join(pkg, entry), ...args], { encoding: 'utf8' });
  return { status: r.status, stdout: r.stdout, esmLoader: /ESM:\S/.test(r.stderr) };
}

describe('fn-run entry points', () => {
  it('bin/fn-run.cjs, dist/cli.cjs and dist/cli.js all run the CLI', () => {
    for (const entry of ['bin/fn-run.cjs', 'dist/cli.cjs', 'dist/cli.js']) {
      const r = run(entry, ['--version']);
      expect(r.status, entry).toBe(0);
      expect(r.stdout, entry).toBe(`fn-run ${VERSION}\n`);
    }
  });

  it('the installed entry boots without the ES module loader (it costs start-up: the loader starts at the function import)', () => {
    for (const entry of ['bin/fn-run.cjs', 'dist/cli.cjs']) expect(run(entry, ['--version']).esmLoader, entry).toBe(false);
    // The ES module entry kept for `node dist/cli.js` does start it.
    expect(run('dist/cli.js', ['--version']).esmLoader).toBe(true);
  });

});
