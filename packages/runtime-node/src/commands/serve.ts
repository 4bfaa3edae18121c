import { readServeConfig, serveUsage, wantsHelp, type ServeConfig } from '../config/serve-settings.js';
import { ConfigError } from '../config/settings.js';
import { LoadError } from '../loader/load-error.js';

/**
 * `fn-run [serve] <file>[#export]`: read the settings, load the function, serve it until SIGTERM.
 * A bad setting exits 2 and a module that cannot be loaded exits 1, each with one line on stderr and
 * before anything listens.
 */
export async function main(argv: string[]): Promise<number> {
  if (wantsHelp(argv)) {
    process.stdout.write(serveUsage());
    return 0;
  }
  let config: ServeConfig;
  try {
    config = readServeConfig(argv, process.env, process.cwd());
  } catch (err) {
    return fail(err);
  }
  if (config.watch) {
    const { superviseWithRestarts } = await import('../watch.js');
    return superviseWithRestarts(config, argv);
  }
  let loaded;
  try {
    const { loadFunction } = await import('../loader/load-function.js');
    loaded = await loadFunction(config.file, config.exportName);
  } catch (err) {
    return fail(err);
  }
  const { startRuntime } = await import('../server/runtime.js');
  const { closed } = await startRuntime(config, loaded);
  return await closed;
}

function fail(err: unknown): number {
  if (err instanceof ConfigError) {
    process.stderr.write(`fn-run: ${err.message}\n`);
    return 2;
  }
  if (err instanceof LoadError) {
    process.stderr.write(`fn-run: ${err.message}\n`);
    return 1;
  }
  throw err;
}
