#!/usr/bin/env node
// Runs the ECMAScript conformance suite's module tests (test/language/module-code, import,
// export and the module-goal tests of expressions/dynamic-import of a tc39/test262 checkout) through graft's public API: each test gets a scripts
// folder of its own with the test file and the fixtures it imports, and one createRuntime
// over it (one context per file, as graft runs scripts).
//
//   npm run test262 -- /path/to/test262 [--filter <substring>] [--verbose]
//
// Not part of `npm test`: the suite is not in the repository.
import { mkdtempSync, mkdirSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync, existsSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
const { createRuntime } = await import(join(here, "..", "dist", "host-api", "index.js"));

const args = process.argv.slice(2);
const checkout = args.find((arg) => !arg.startsWith("--") && args[args.indexOf(arg) - 1] !== "--filter");
if (!checkout || !existsSync(join(checkout, "test", "language", "module-code"))) {
  console.error("usage: npm run test262 -- <test262 checkout> [--filter <substring>] [--verbose]");
  console.error("  (a directory holding test/language/module-code and harness/ of tc39/test262)");
  process.exit(2);
}
const filter = args.includes("--filter") ? args[args.indexOf("--filter") + 1] : undefined;
const verbose = args.includes("--verbose");

/** Features graft does not implement (the issue's baseline): these tests are not applicable. */
const EXCLUDED_FEATURES = new Map([
  ["import-defer", "import defer (a proposal)"],
  ["import-text", "text modules (a proposal: only JSON modules are standard)"],
  ["import-bytes", "bytes modules (a proposal: only JSON modules are standard)"],
  ["source-phase-imports", "source phase imports (a proposal)"],
  ["source-phase-imports-module-source", "source phase imports (a proposal)"],
]);

/**
 * Tests whose modules communicate through one global object (a fixture writes a global the
 * test reads): in graft each file has a context, and a global object, of its own.
 */
const WRITES_GLOBAL = /\bglobalThis\b|Function\(['"]return this;?['"]\)/;

const root = resolve(checkout);
const harnessDir = join(root, "harness");
const harnessCache = new Map();
function harness(name) {
  if (!harnessCache.has(name)) harnessCache.set(name, readFileSync(join(harnessDir, name), "utf8"));
  return harnessCache.get(name);
}

function listTests() {
  const out = [];
  const walk = (dir) => {
    for (const entry of readdirSync(dir).sort()) {
      const path = join(dir, entry);
      if (statSync(path).isDirectory()) walk(path);
      else if (entry.endsWith(".js") && !entry.includes("_FIXTURE")) out.push(path);
    }
  };
  for (const part of ["module-code", "import", "export", "expressions/dynamic-import"]) walk(join(root, "test", "language", part));
  return out;
}

function frontmatter(source) {
  const match = /\/\*---([\s\S]*?)---\*\//.exec(source);
  const yaml = match ? match[1] : "";
  const list = (key) => {
    const inline = new RegExp(`^${key}:\\s*\\[([^\\]]*)\\]`, "m").exec(yaml);
    if (inline) return inline[1].split(",").map((item) => item.trim()).filter(Boolean);
    const block = new RegExp(`^${key}:\\s*\\n((?:\\s+-.*\\n?)+)`, "m").exec(yaml);
    return block ? block[1].split("\n").map((line) => line.replace(/^\s*-\s*/, "").trim()).filter(Boolean) : [];
  };
  const negative = /^negative:\s*\n\s+phase:\s*(\w+)\s*\n\s+type:\s*(\w+)/m.exec(yaml);
  return {
    flags: list("flags"),
    features: list("features"),
    includes: list("includes"),
    negative: negative ? { phase: negative[1], type: negative[2] } : undefined,
  };
}

/** The relative specifiers a module imports or re-exports (a light scan: fixtures are simple). */
function specifiers(source) {
  const found = new Set();
  const code = source.replace(/\/\*[\s\S]*?\*\//g, "").replace(/^\s*\/\/.*$/gm, "");
  for (const match of code.matchAll(/(?:\bfrom|\bimport)\s*\(?\s*(['"])(\.{1,2}\/[^'"]+)\1/g)) found.add(match[2]);
  return [...found];
}

const ASYNC_PRELUDE = `
var __test262Done;
function $DONE(error) { __test262Done = error ? "failed: " + (error && error.name ? error.name + ": " + error.message : String(error)) : "complete"; globalThis.__test262Done = __test262Done; }
`;

/** Harness code that each module needs, on one line before its first line. */
function prelude(meta, source, isTest) {
  const parts = [];
  const uses = (name) => source.includes(name);
  if (isTest || uses("Test262Error") || uses("assert") || uses("$DONOTEVALUATE")) parts.push(harness("assert.js"), harness("sta.js"));
  if (isTest) {
    for (const include of meta.includes) if (include !== "doneprintHandle.js") parts.push(harness(include));
    if (meta.flags.includes("async")) parts.push(ASYNC_PRELUDE);
  }
  if (parts.length === 0) return "";
  // Line comments would swallow the rest of the line: strip them, then join into one line.
  return parts
    .join("\n")
    .replace(/\/\*[\s\S]*?\*\//g, "")
    .split("\n")
    .map((line) => line.replace(/^\s*\/\/.*$/, ""))
    .join(" ") + "\n";
}

function errorClass(error) {
  const text = `${error.message ?? ""}`;
  if (/^syntax error:/.test(text)) return "SyntaxError";
  const match = /^([A-Za-z$_][\w$]*?(?:Error|Exception))\b/.exec(text);
  if (match) return match[1];
  if (/Test262:|Test262Error/.test(text)) return "Test262Error";
  return text.split(":")[0];
}

async function runTest(path) {
  const source = readFileSync(path, "utf8");
  const meta = frontmatter(source);
  const name = relative(join(root, "test", "language"), path);
  const excludedFeature = meta.features.find((feature) => EXCLUDED_FEATURES.has(feature));
  if (excludedFeature) return { name, status: "excluded", reason: EXCLUDED_FEATURES.get(excludedFeature) };
  if (!meta.flags.includes("module")) return { name, status: "excluded", reason: "script-goal test (graft runs every file as a module)" };

  const dir = mkdtempSync(join(tmpdir(), "graft-test262-"));
  try {
    const testDir = dirname(path);
    const pending = [[path, true]];
    const copied = new Set();
    while (pending.length > 0) {
      const [file, isTest] = pending.pop();
      if (copied.has(file) || !existsSync(file)) continue;
      copied.add(file);
      const text = readFileSync(file, "utf8");
      const target = join(dir, relative(testDir, file));
      mkdirSync(dirname(target), { recursive: true });
      // JSON modules' fixtures are data, copied as they are.
      writeFileSync(target, file.endsWith(".js") ? prelude(meta, text, isTest) + text : text);
      for (const specifier of specifiers(text)) pending.push([resolve(dirname(file), specifier), false]);
    }
    const sharesGlobal =
      /\bglobalThis\b|fnGlobalObject\(\)/.test(source) && [...copied].some((file) => file !== path && WRITES_GLOBAL.test(readFileSync(file, "utf8")));
    if (sharesGlobal) return { name, status: "excluded", reason: "one global shared between modules (a fixture writes a global the test reads; graft gives each file its own)" };
    const errors = [];
    const testFile = relative(testDir, path).split("\\").join("/");
    let runtime;
    try {
      runtime = await createRuntime({ scripts: dir, watch: false, timeout: 5000, onError: (error) => errors.push(error) });
    } catch (error) {
      return { name, status: "fail", cause: `createRuntime threw: ${String(error.message ?? error).split("\n")[0]}` };
    }
    try {
      const loaded = runtime.files().includes(testFile);
      if (meta.negative) {
        const { phase, type } = meta.negative;
        if (errors.length === 0) {
          return { name, status: "fail", cause: `expected ${type} (${phase}), but every file loaded` };
        }
        const classes = errors.map(errorClass);
        if (!classes.includes(type)) return { name, status: "fail", cause: `expected ${type} (${phase}), got ${errors[0].message.split("\n")[0]}` };
        if (phase !== "runtime") {
          // Parse and resolution errors come before any module of the batch runs.
          const ran = errors.some((error) => /Test262: This statement should not be evaluated/.test(error.message));
          if (ran) return { name, status: "fail", cause: `expected ${type} before evaluation, but a module ran` };
        }
        return { name, status: "pass" };
      }
      // A fixture may fail on purpose (the test imports it with import() and expects the rejection):
      // the test's own file must load.
      const own = errors.filter((error) => error.file === testFile);
      if (own.length > 0 || !loaded) {
        const first = own[0] ?? errors[0];
        return { name, status: "fail", cause: first ? `${first.file}: ${first.message.split("\n")[0]}` : "test file not loaded" };
      }
      if (meta.flags.includes("async")) {
        for (let i = 0; i < 50; i++) {
          const done = runtime.evaluate(testFile, "globalThis.__test262Done").toHost();
          if (done === "complete") return { name, status: "pass" };
          if (typeof done === "string") return { name, status: "fail", cause: `async: ${done}` };
          await new Promise((resolveWait) => setTimeout(resolveWait, 10));
        }
        return { name, status: "fail", cause: "async: $DONE never called" };
      }
      return { name, status: "pass" };
    } finally {
      runtime.dispose();
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const results = [];
for (const path of listTests()) {
  if (filter && !path.includes(filter)) continue;
  const result = await runTest(path);
  results.push(result);
  if (verbose && result.status !== "excluded") console.log(`${result.status.padEnd(5)} ${result.name}${result.cause ? `  ${result.cause}` : ""}`);
}

const passed = results.filter((result) => result.status === "pass");
const failed = results.filter((result) => result.status === "fail");
const excluded = results.filter((result) => result.status === "excluded");
const applicable = passed.length + failed.length;

const byReason = new Map();
for (const result of excluded) byReason.set(result.reason, [...(byReason.get(result.reason) ?? []), result.name]);
console.log(`test262 module tests (${relative(process.cwd(), root) || root}): ${results.length} files`);
console.log(`excluded ${excluded.length}:`);
for (const [reason, names] of byReason) {
  console.log(`  ${String(names.length).padStart(4)}  ${reason}`);
  if (reason.startsWith("one global")) for (const entry of names) console.log(`          ${entry}`);
}
if (failed.length > 0) {
  const byCause = new Map();
  for (const result of failed) {
    const cause = result.cause.replace(/'[^']*'/g, "'…'").replace(/\b[\w-]+(_FIXTURE)?\.js\b/g, "<file>").replace(/:\d+:\d+/g, "");
    byCause.set(cause, [...(byCause.get(cause) ?? []), result]);
  }
  console.log(`failures by cause:`);
  for (const [cause, entries] of [...byCause].sort((a, b) => b[1].length - a[1].length)) {
    console.log(`  ${String(entries.length).padStart(4)}  ${cause}`);
    for (const entry of entries) console.log(`          ${entry.name}  ${entry.cause}`);
  }
}
const rate = applicable === 0 ? 0 : (100 * passed.length) / applicable;
console.log(`passed ${passed.length} of ${applicable} applicable tests: ${rate.toFixed(1)} %`);
process.exitCode = failed.length === 0 ? 0 : 1;
