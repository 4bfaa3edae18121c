import { ConfigError } from '../config/settings.js';
import { generateManifest } from '../manifest/generate-manifest.js';
import { manifestUsage, readManifestOptions } from '../manifest/manifest-options.js';
import { toJson, toYaml } from '../manifest/render-manifest.js';

export interface ManifestIO {
  stdout: (s: string) => void;
  stderr: (s: string) => void;
  cwd: string;
}

/**
 * `fn-run manifest <dir> [options]`: prints the Kubernetes objects of a function. Exit 0, or 2 with one
 * line naming the bad flag, file or value.
 */
export async function main(argv: string[]): Promise<number> {
  return runManifest(argv, { stdout: (s) => void process.stdout.write(s), stderr: (s) => void process.stderr.write(s), cwd: process.cwd() });
}

export function runManifest(argv: string[], io: ManifestIO): number {
  if (argv.includes('--help') || argv.includes('-h')) {
    io.stdout(manifestUsage());
    return 0;
  }
  try {
    const options = readManifestOptions(argv, io.cwd);
    const objects = generateManifest(options);
    io.stdout(options.output === 'json' ? toJson(objects) : toYaml(objects));
    return 0;
  } catch (err) {
    if (err instanceof ConfigError) {
      io.stderr(`fn-run manifest: ${err.message}\n`);
      return 2;
    }
    throw err;
  }
}
