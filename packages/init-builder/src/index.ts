export { build, type BuildRecord, type BuildIo } from './build.js';
export { BuildError } from './build-error.js';
export { parseCommand, type BuildOptions } from './options.js';
export { sourceChecksum } from './source/checksum.js';
export { RECORD_FILE, BUILDING_FILE } from './target.js';
