// The servers under test. Each one answers GET / and a binary-mode CloudEvent POST / with {"hello":"world"}.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * Subjects by id, for the A/B tools (bench/cpu.mjs, bench/cold.mjs). Besides the ids above, `fn-run=<path to cli.cjs or cli.js>`
 * is fn-run as built elsewhere (e.g. a build of the previous commit), with default settings.
 */
export function pickSubjects(root, ids) {
  const all = subjects(root);
  return ids.map((id) => {
    const known = all.find((s) => s.id === id);
    if (known) return known;
    const eq = id.indexOf('=');
    if (eq === -1 || id.slice(0, eq) !== 'fn-run') throw new Error(`unknown subject '${id}': use one of ${all.map((s) => s.id).join(', ')} or fn-run=<path to cli.js>`);
    const cli = id.slice(eq + 1);
    const base = all.find((s) => s.id === 'fn-run');
    return { ...base, id: `fn-run@${cli.replace(/[^A-Za-z0-9]+/g, '-')}`.slice(0, 60), name: `fn-run (${cli})`, command: (port) => [process.execPath, cli, ...base.command(port).slice(2)] };
  });
}

export function subjects(root) {
  const bench = join(root, 'bench');
  const mod = (name) => join(bench, 'node_modules', name);
  const version = (pkgJson) => {
    try { return JSON.parse(readFileSync(pkgJson, 'utf8')).version; } catch { return 'not installed'; }
  };
  const node = process.execPath;
  return [
    {
      id: 'node-http',
      name: 'bare node:http',
      version: process.version,
      cwd: root,
      command: (port) => [node, join(bench, 'fixtures/bare-http.mjs'), String(port)],
    },
    {
      id: 'fastify',
      name: 'bare fastify',
      version: version(join(mod('fastify'), 'package.json')),
      cwd: root,
      command: (port) => [node, join(bench, 'fixtures/bare-fastify.mjs'), String(port)],
    },
    {
      id: 'fn-run',
      name: 'fn-run (fnkit)',
      version: version(join(root, 'packages/runtime-node/package.json')),
      cwd: root,
      // Default settings, logging on (one JSON line per invocation); its stdout goes to a log file.
      // --host only narrows the bind address (default 0.0.0.0) to the loopback the bench talks to.
      // dist/cli.cjs: the entry bin/fn-run.cjs (`fn-run`, the runtime image) runs.
      command: (port) => [node, join(root, 'packages/runtime-node/dist/cli.cjs'), 'bench/fixtures/hello.js', '--port', String(port), '--host', '127.0.0.1'],
    },
    {
      id: 'fn-run-quiet',
      name: 'fn-run, --log-level warn',
      version: version(join(root, 'packages/runtime-node/package.json')),
      cwd: root,
      // Diagnostic row, not a target: the same server without the per-invocation log line.
      command: (port) => [node, join(root, 'packages/runtime-node/dist/cli.cjs'), 'bench/fixtures/hello.js', '--port', String(port), '--host', '127.0.0.1', '--log-level', 'warn'],
    },
    {
      id: 'faas-js-runtime',
      name: 'faas-js-runtime',
      version: version(join(mod('faas-js-runtime'), 'package.json')),
      cwd: root,
      // Default log level (warn). It listens on '::' (all interfaces); we only send to 127.0.0.1.
      command: (port) => [node, join(mod('faas-js-runtime'), 'bin/cli.js'), 'bench/fixtures/faas-hello.js', '--port', String(port)],
    },
    {
      id: 'functions-framework',
      name: 'functions-framework',
      version: version(join(mod('@google-cloud/functions-framework'), 'package.json')),
      cwd: root,
      command: (port) => [
        node, join(mod('@google-cloud/functions-framework'), 'build/src/main.js'),
        '--target=hello', `--port=${port}`, `--source=${join(bench, 'fixtures/ff-hello.js')}`,
      ],
    },
  ];
}
