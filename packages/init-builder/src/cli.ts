/**
 * fn-build: what the function pod's init container runs. Builds the source (default /src) into the
 * target (default /kubeless) so `fn-run` starts from it with no further work. Exit 0 when the target is
 * complete; otherwise one line `fn-build: error: <what, where, what to do>` on stderr and exit 1.
 */
import { BuildError, oneLine } from './build-error.js';
import { parseCommand, USAGE } from './options.js';
import { redact } from './redact.js';

async function main(argv: string[]): Promise<number> {
  const command = parseCommand(argv, process.env);
  switch (command.kind) {
    case 'help':
      process.stdout.write(USAGE);
      return 0;
    case 'version': {
      const { VERSION } = await import('./version.js');
      process.stdout.write(`fn-build ${VERSION}\n`);
      return 0;
    }
    case 'checksum': {
      const { sourceChecksum } = await import('./source/checksum.js');
      process.stdout.write(`${await sourceChecksum(command.source)}\n`);
      return 0;
    }
    case 'build': {
      const { build } = await import('./build.js');
      await build(command.options, { log: (line) => process.stderr.write(`${line}\n`), env: process.env });
      return 0;
    }
  }
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    process.stderr.write(`fn-build: error: ${redact(oneLine(describe(err)))}\n`);
    process.exitCode = 1;
  },
);

/** A BuildError says what to do itself; a file-system error gets a hint; anything else is a bug. */
function describe(err: unknown): string {
  if (err instanceof BuildError) return err.message;
  const e = err as NodeJS.ErrnoException;
  if (e && typeof e.code === 'string' && typeof e.syscall === 'string') {
    return `${e.message}: check the volumes' permissions (the source readable, the target and cache writable by this user) and free space`;
  }
  return `unexpected failure (a bug in fn-build; please report it): ${err instanceof Error ? err.message : String(err)}`;
}
