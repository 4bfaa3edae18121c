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
    const message = err instanceof BuildError ? err.message : `unexpected failure (a bug in fn-build; please report it): ${err instanceof Error ? err.message : String(err)}`;
    process.stderr.write(`fn-build: error: ${redact(oneLine(message))}\n`);
    process.exitCode = 1;
  },
);
