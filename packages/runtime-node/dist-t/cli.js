#!/usr/bin/env node
import { createRequire as __fnkitCreateRequire } from 'node:module';
const require = __fnkitCreateRequire(import.meta.url);
globalThis.__mark = (l) => { const u = process.cpuUsage(); (globalThis.__marks ??= []).push(`${l}:${performance.now().toFixed(1)}/${((u.user + u.system) / 1000).toFixed(0)}`); };
import {
  runBundle
} from "./chunk-SN4CXUJU.js";
import "./chunk-C54H4XWJ.js";

// src/cli.ts
import { fileURLToPath } from "url";
__mark("cli-start");
var { exports } = runBundle(fileURLToPath(new URL("./fn-run.cjs", import.meta.url)));
__mark("bundle-loaded");
void exports.runCli(process.argv.slice(2), (specifier) => import(specifier));
//# sourceMappingURL=cli.js.map