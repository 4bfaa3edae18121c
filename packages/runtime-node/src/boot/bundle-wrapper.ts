/**
 * The first line of dist/fn-run.cjs (the build writes it there: tsup.config.ts), the same function head
 * Node wraps a CommonJS module in; the bundle's last line before its stamp closes it with `})`.
 * runBundle compiles a bundle that starts with it as it is, and wraps any other bundle itself.
 */
export const BUNDLE_WRAPPER = '(function (exports, require, module, __filename, __dirname) {';
