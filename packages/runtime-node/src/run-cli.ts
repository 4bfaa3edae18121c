/**
 * fn-run: the command line. Sub-commands load lazily so `fn-run handler.ts` starts fast.
 * Built as one CommonJS bundle (dist/fn-run.cjs) that the entry (cli.ts) runs from a V8 code cache.
 *
 *   fn-run [serve] <file>[#export] [options]     serve a function over HTTP (and its triggers)
 *   fn-run call <url> [--data ...]               send an event to a running function, print the reply
 *   fn-run trigger cron|nats|kafka --target <url>   run a trigger apart from the function (dispatcher)
 *   fn-run manifest <dir> [--cron ... --nats ... --kafka ...]   print the function's Kubernetes YAML
 */
import { setModuleImporter, type ModuleImporter } from './loader/import-module.js';

type Command = { main(argv: string[]): Promise<number> };

const COMMANDS: Record<string, () => Promise<Command>> = {
  serve: () => import('./commands/serve.js'),
  call: () => import('./commands/call.js'),
  trigger: () => import('./commands/trigger.js'),
  manifest: () => import('./commands/manifest.js'),
};

async function run(argv: string[]): Promise<number> {
  const first = argv[0];
  if (first === '--version' || first === '-v' || first === 'version') {
    const { VERSION } = await import('./version.js');
    process.stdout.write(`fn-run ${VERSION}\n`);
    return 0;
  }
  if (first !== undefined && Object.hasOwn(COMMANDS, first)) return (await COMMANDS[first]!()).main(argv.slice(1));
  // No sub-command: `fn-run handler.ts ...` serves, as `npx fn-run handler.ts` should.
  return (await COMMANDS.serve!()).main(argv);
}

/**
 * Runs the command line `argv` (without node and the script); the exit code goes to process.exitCode.
 * `importModule` is the entry module's own import(), for the modules fn-run loads from outside its bundle.
 */
export function runCli(argv: string[], importModule: ModuleImporter): Promise<void> {
  setModuleImporter(importModule);
  return run(argv).then(
    (code) => {
      if (code !== 0) process.exitCode = code;
    },
    (err: unknown) => {
      process.stderr.write(`fn-run: ${err instanceof Error ? err.message : String(err)}\n`);
      process.exitCode = 1;
    },
  );
}
