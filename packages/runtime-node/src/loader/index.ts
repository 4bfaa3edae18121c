export { loadFunction, SUPPORTED_EXTENSIONS } from './load-function.js';
export type { LoadedFunction } from './load-function.js';
export { LoadError } from './load-error.js';
