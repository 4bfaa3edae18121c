#!/usr/bin/env node
import { createRequire as __fnkitCreateRequire } from 'node:module';
const require = __fnkitCreateRequire(import.meta.url);
import {
  runBundle,
  writeCodeCache
} from "./chunk-SN4CXUJU.js";
import "./chunk-C54H4XWJ.js";

// src/boot/train-code-cache.ts
import { spawn } from "child_process";
import { mkdtempSync, rmSync, writeFileSync } from "fs";
import { request, createServer } from "http";
import { tmpdir } from "os";
import { join } from "path";
import { fileURLToPath } from "url";
var bundle = fileURLToPath(new URL("./fn-run.cjs", import.meta.url));
var TIMEOUT_MS = 6e4;
if (process.argv[2] === "--serve") await serveAndSave(process.argv[3]);
else process.exitCode = await train();
async function train() {
  const dir = mkdtempSync(join(tmpdir(), "fnkit-code-cache-"));
  try {
    const handler = join(dir, "handler.mjs");
    writeFileSync(handler, "export default function handler() {\n  return { ok: true };\n}\n");
    const child = spawn(process.execPath, [fileURLToPath(import.meta.url), "--serve", handler], {
      stdio: ["ignore", "ignore", "inherit"],
      env: { PATH: process.env.PATH ?? "" },
      timeout: TIMEOUT_MS
    });
    const code = await new Promise((resolve) => {
      child.once("error", () => resolve(1));
      child.once("exit", (c) => resolve(c ?? 1));
    });
    if (code !== 0) process.stderr.write(`fn-run: the code cache was not made (the training run exited with ${code})
`);
    return code;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
async function serveAndSave(handler) {
  const port = await freePort();
  const run = runBundle(bundle, { cache: false });
  void run.exports.runCli([handler, "--host", "127.0.0.1", "--port", String(port)], (specifier) => import(specifier));
  const until = Date.now() + TIMEOUT_MS;
  while (!await answered(port)) {
    if (Date.now() > until) throw new Error("fn-run did not answer GET / while the code cache was being made");
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  const bytes = writeCodeCache(run.script, bundle);
  process.stderr.write(`fn-run: code cache written (${Math.round(bytes / 1024)} KiB, node ${process.version})
`);
  process.exit(0);
}
function freePort() {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      server.close(() => typeof address === "object" && address ? resolve(address.port) : reject(new Error("no port")));
    });
  });
}
function answered(port) {
  return new Promise((resolve) => {
    const req = request({ host: "127.0.0.1", port, path: "/", agent: false }, (res) => {
      res.resume();
      resolve(res.statusCode === 200);
    });
    req.once("error", () => resolve(false));
    req.end();
  });
}
//# sourceMappingURL=train-code-cache.js.map