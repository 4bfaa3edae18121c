import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'vitest';
import { runManifest } from '../../src/commands/manifest.js';
import { validateObjects } from './kube-validate.js';

export type Obj = Record<string, any>;

/** A temporary directory of function directories, and `fn-run manifest` run in it. */
export class ManifestFixture {
  readonly root = mkdtempSync(join(tmpdir(), 'fnkit-manifest-'));
  private n = 0;

  dir(files: Record<string, string | Buffer>, name = `fn${++this.n}`): string {
    const dir = join(this.root, name);
    for (const [path, content] of Object.entries(files)) {
      mkdirSync(join(dir, path, '..'), { recursive: true });
      writeFileSync(join(dir, path), content);
    }
    return dir;
  }

  run(argv: string[]): { code: number; out: string; err: string } {
    let out = '';
    let err = '';
    const code = runManifest(argv, { stdout: (s) => (out += s), stderr: (s) => (err += s), cwd: this.root });
    return { code, out, err };
  }

  /** JSON output's items, each validated (schemas and cross-references). */
  objects(argv: string[]): Obj[] {
    const r = this.run([...argv, '--output', 'json']);
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
    const list = JSON.parse(r.out) as Obj;
    expect(list).toMatchObject({ apiVersion: 'v1', kind: 'List' });
    validateObjects(list.items);
    return list.items as Obj[];
  }

  /** The one line on stderr of a run that must fail with exit 2. */
  error(argv: string[]): string {
    const r = this.run(argv);
    expect(r.out).toBe('');
    expect(r.code).toBe(2);
    return r.err;
  }

  cleanup(): void {
    rmSync(this.root, { recursive: true, force: true });
  }
}

export function find(objects: Obj[], kind: string, name: string): Obj {
  const o = objects.find((x) => x.kind === kind && x.metadata.name === name);
  if (!o) throw new Error(`no ${kind} ${name} among ${objects.map((x) => `${x.kind}/${x.metadata.name}`).join(', ')}`);
  return o;
}

export function envOf(container: Obj): Record<string, string> {
  return Object.fromEntries(((container.env ?? []) as Obj[]).map((e) => [e.name, e.value]));
}

export const HANDLER = 'export default async (event: { data: unknown }) => ({ got: event.data });\n';
