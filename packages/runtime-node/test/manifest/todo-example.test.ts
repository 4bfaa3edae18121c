import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { runManifest } from '../../src/commands/manifest.js';
import { envOf, find, type Obj } from './fixtures.js';
import { validateObjects } from './kube-validate.js';

/**
 * The to-do example (examples/todo) as deployed: deploy/examples/todo/<function>.yaml is what these
 * `fn-run manifest` commands print, and docs/deploy.md shows the same commands. A change to the example
 * or the generator makes the committed YAML stale and this test fail; regenerate with
 *   FNKIT_UPDATE_EXAMPLES=1 npx vitest run packages/runtime-node/test/manifest/todo-example.test.ts
 */

const repo = fileURLToPath(new URL('../../../../', import.meta.url));
const outDir = `${repo}deploy/examples/todo/`;
const NATS = 'nats://nats.nats.svc:4222';

const TODO_FUNCTIONS: { file: string; argv: string[] }[] = [
  { file: 'new-item.yaml', argv: ['examples/todo/new-item.ts', '--name', 'todo-new-item', '--namespace', 'todo', '--env', `NATS_URL=${NATS}`] },
  { file: 'audit.yaml', argv: ['examples/todo/audit.ts', '--name', 'todo-audit', '--namespace', 'todo', '--nats', 'events.todo.newitem', '--nats-url', NATS] },
  { file: 'reminder.yaml', argv: ['examples/todo/reminder.ts', '--name', 'todo-reminder', '--namespace', 'todo', '--cron', '* * * * *', '--cron-data', '{"list":"home"}'] },
];

function generate(argv: string[]): string {
  let out = '';
  let err = '';
  const code = runManifest(argv, { stdout: (s) => (out += s), stderr: (s) => (err += s), cwd: repo });
  expect(err).toBe('');
  expect(code).toBe(0);
  return out;
}

/** The command as docs/deploy.md writes it (single quotes around what the shell would split or expand). */
function commandLine(argv: string[]): string {
  return ['npx fn-run manifest', ...argv.map((a) => (/^[\w@%+=:,./-]+$/.test(a) ? a : `'${a}'`))].join(' ');
}

const present = existsSync(`${repo}examples/todo/audit.ts`);

describe.runIf(present)('the to-do example in deploy/examples/todo', () => {
  it.each(TODO_FUNCTIONS)('$file is what fn-run manifest prints today', ({ file, argv }) => {
    const yaml = generate(argv);
    const path = `${outDir}${file}`;
    if (process.env.FNKIT_UPDATE_EXAMPLES === '1') {
      mkdirSync(outDir, { recursive: true });
      writeFileSync(path, yaml);
    }
    const committed = existsSync(path) ? readFileSync(path, 'utf8') : '(missing)';
    expect(committed, `deploy/examples/todo/${file} is stale: regenerate it with FNKIT_UPDATE_EXAMPLES=1 npx vitest run packages/runtime-node/test/manifest/todo-example.test.ts`).toBe(yaml);
    validateObjects(parseAllDocuments(committed).map((d) => d.toJS() as Obj));
  });

  it('holds nothing else but its README', () => {
    expect(readdirSync(outDir).sort()).toEqual(['README.md', ...TODO_FUNCTIONS.map((f) => f.file)].sort());
  });

  it('wires the scenario: the HTTP function reaches NATS, the audit dispatcher consumes the subject, the reminder runs every minute', () => {
    const docs = Object.fromEntries(TODO_FUNCTIONS.map(({ file, argv }) => [file, parseAllDocuments(generate(argv)).map((d) => d.toJS() as Obj)]));
    const newItem = find(docs['new-item.yaml']!, 'Deployment', 'todo-new-item').spec.template.spec.containers[0];
    expect(envOf(newItem)).toMatchObject({ MOD_NAME: 'new-item', NATS_URL: NATS, FNKIT_FUNCTION_NAME: 'todo-new-item' });
    const audit = find(docs['audit.yaml']!, 'Deployment', 'todo-audit-nats').spec.template.spec.containers[0];
    expect(audit.args).toEqual(expect.arrayContaining(['--target', 'http://todo-audit.todo.svc:8080', '--nats', 'events.todo.newitem', '--nats-url', NATS]));
    const cron = find(docs['reminder.yaml']!, 'CronJob', 'todo-reminder-cron');
    expect(cron.spec.schedule).toBe('* * * * *');
    expect(cron.spec.jobTemplate.spec.template.spec.containers[0].args).toEqual(expect.arrayContaining(['--once', '--target', 'http://todo-reminder.todo.svc:8080', '--cron-data', '{"list":"home"}']));
  });

  it('docs/deploy.md shows the very commands', () => {
    const doc = readFileSync(`${repo}docs/deploy.md`, 'utf8');
    for (const { file, argv } of TODO_FUNCTIONS) expect(doc).toContain(`${commandLine(argv)} > deploy/examples/todo/${file}`);
  });
});
