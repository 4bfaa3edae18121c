// Placeholder while fn-build is being written in this session; replaced before it lands.
process.stderr.write('fn-build: not available yet\n');
process.exitCode = 2;
