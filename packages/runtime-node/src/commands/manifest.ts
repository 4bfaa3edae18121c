// Placeholder while this command is being written in this session; replaced before it lands.
export async function main(_argv: string[]): Promise<number> {
  process.stderr.write('fn-run manifest: not available yet\n');
  return 2;
}
