#!/usr/bin/env node
import { createRequire as __fnkitCreateRequire } from 'node:module';
const require = __fnkitCreateRequire(import.meta.url);

// src/boot/code-cache.ts
import { createHash } from "crypto";
import { readFileSync, renameSync, writeFileSync } from "fs";
import { createRequire } from "module";
import { dirname } from "path";
import { Script } from "vm";
var MAGIC = Buffer.from("FNKITCC1");
var HEADER = MAGIC.length + 32;
function cacheFileOf(bundle) {
  return `${bundle}.cache`;
}
function runBundle(bundle, options = {}) {
  const source = readFileSync(bundle, "utf8");
  const found = options.cache === false ? { use: "off" } : readCache(cacheFileOf(bundle));
  const script = new Script(`(function (exports, require, module, __filename, __dirname) {${source}
})`, {
    filename: bundle,
    cachedData: found.data
  });
  const cache = found.data === void 0 ? found.use : script.cachedDataRejected === true ? "rejected" : "accepted";
  const module = { exports: {} };
  const wrapper = script.runInThisContext();
  wrapper.call(module.exports, module.exports, createRequire(bundle), module, bundle, dirname(bundle));
  return { exports: module.exports, script, cache };
}
function readCache(file) {
  let raw;
  try {
    raw = readFileSync(file);
  } catch {
    return { use: "absent" };
  }
  const data = raw.subarray(HEADER);
  const intact = raw.length > HEADER && raw.subarray(0, MAGIC.length).equals(MAGIC) && createHash("sha256").update(data).digest().equals(raw.subarray(MAGIC.length, HEADER));
  return intact ? { data, use: "accepted" } : { use: "corrupt" };
}
function writeCodeCache(script, bundle) {
  const data = script.createCachedData();
  const file = cacheFileOf(bundle);
  const partial = `${file}.${process.pid}.partial`;
  writeFileSync(partial, Buffer.concat([MAGIC, createHash("sha256").update(data).digest(), data]));
  renameSync(partial, file);
  return data.length;
}

export {
  runBundle,
  writeCodeCache
};
//# sourceMappingURL=chunk-SN4CXUJU.js.map