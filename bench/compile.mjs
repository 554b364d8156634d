// The compile step alone (runtime/compile, compileScript): ms per script for the 200-line,
// 5-class fixture and for the demo's scripts, and optionally another build of graft beside
// this one, alternating rounds in one process so that load affects both alike:
//   npm run build && node bench/compile.mjs [--against <another graft checkout, built>] [--rounds N]
// Prints the p50 and the minimum over rounds (the minimum is the least disturbed by other
// processes on a loaded machine).
import { readdirSync, readFileSync, statSync } from "node:fs";
import path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { script200 } from "./fixtures.mjs";

const here = path.dirname(fileURLToPath(import.meta.url));
const args = process.argv.slice(2);
const option = (name) => (args.includes(name) ? args[args.indexOf(name) + 1] : undefined);
const rounds = Number(option("--rounds") ?? 60);
const roots = [["this build", path.join(here, "..")]];
if (option("--against")) roots.push(["--against", path.resolve(option("--against"))]);

const scriptsDir = path.join(here, "..", "scripts");
const scriptFiles = (dir) =>
  readdirSync(dir).flatMap((name) => {
    const file = path.join(dir, name);
    if (statSync(file).isDirectory()) return scriptFiles(file);
    return /\.(ts|js|mjs)$/.test(name) && !name.endsWith(".d.ts") ? [file] : [];
  });
/**
 * The 200-line fixture with TC39 decorators: a class decorator on each class, a method
 * decorator on every skill, a field decorator on hp, and an `accessor` field per class.
 */
const decorated200 =
  `function registered(cls: any, context: ClassDecoratorContext) { context.addInitializer(function () {}); }\n` +
  `function logged(method: any, context: ClassMethodDecoratorContext) { return method; }\n` +
  `function tracked(_: undefined, context: ClassFieldDecoratorContext) { return (v: number) => v; }\n` +
  script200(1)
    .replace(/^export class/gm, "@registered\nexport class")
    .replace(/^  (skill\d)/gm, "  @logged $1")
    .replace(/^  hp: number/gm, "  @tracked hp: number")
    .replace(/^  static revision/gm, "  accessor mana = 1;\n  static revision");
const corpora = {
  "200-line, 5-class script": [["units.ts", script200(1)]],
  "the same with TC39 decorators": [["decorated.ts", decorated200]],
  "demo scripts": scriptFiles(scriptsDir).map((file) => [path.relative(scriptsDir, file), readFileSync(file, "utf8")]),
};

const builds = [];
for (const [label, root] of roots) {
  const { compileScript } = await import(pathToFileURL(path.join(root, "dist", "runtime", "compile", "index.js")).href);
  builds.push({ label, root, compileScript });
}

/** ms per script of one pass over `sources`. */
function pass(compileScript, sources, repeat) {
  const started = performance.now();
  for (let i = 0; i < repeat; i++) for (const [file, source] of sources) compileScript(file, source);
  return (performance.now() - started) / (repeat * sources.length);
}

const results = {};
for (const [name, sources] of Object.entries(corpora)) {
  const repeat = Math.max(1, Math.round(20 / sources.length));
  for (const build of builds) for (let i = 0; i < 30; i++) pass(build.compileScript, sources, 1); // warm-up
  const samples = builds.map(() => []);
  for (let round = 0; round < rounds; round++) {
    builds.forEach((build, b) => samples[b].push(pass(build.compileScript, sources, repeat)));
  }
  results[name] = builds.map((build, b) => {
    const sorted = samples[b].sort((x, y) => x - y);
    return { build: build.label, scripts: sources.length, p50_ms: +sorted[sorted.length >> 1].toFixed(3), min_ms: +sorted[0].toFixed(3) };
  });
}
for (const [name, rows] of Object.entries(results)) {
  console.log(`${name}:`);
  for (const row of rows) console.log(`  ${row.build.padEnd(10)} p50 ${row.p50_ms.toFixed(3)} ms/script, min ${row.min_ms.toFixed(3)} (${row.scripts} scripts)`);
  if (rows.length === 2) console.log(`  this build / --against: p50 ${(rows[0].p50_ms / rows[1].p50_ms).toFixed(2)}x, min ${(rows[0].min_ms / rows[1].min_ms).toFixed(2)}x`);
}

// --parsers: where one compile of the 200-line fixture goes: the one TypeScript parse
// (oxc-parser, its AST decoded from JSON), that parse with the types stripped on its tree
// (parseScript), and the whole compile. The variants alternate call by call (a loaded
// machine disturbs them alike), percentiles of single calls.
if (args.includes("--parsers")) {
  const { createRequire } = await import("node:module");
  const require = createRequire(import.meta.url);
  const { parseSync } = await import(pathToFileURL(require.resolve("oxc-parser")).href);
  const { parseScript } = await import(pathToFileURL(path.join(here, "..", "dist", "runtime", "compile", "strip-types.js")).href);
  const source = script200(1);
  const variants = {
    "parse TypeScript (TS AST)": () => parseSync("units.ts", source, { sourceType: "module", lang: "ts", showSemanticErrors: true }).program,
    "parse + strip types (parseScript)": () => parseScript("units.ts", source).program,
    "whole compile (compileScript)": () => builds[0].compileScript("units.ts", source),
  };
  const names = Object.keys(variants);
  const samples = Object.fromEntries(names.map((name) => [name, []]));
  for (let i = 0; i < 200; i++) for (const name of names) variants[name]();
  const calls = rounds * 30;
  for (let i = 0; i < calls; i++) {
    for (const name of i % 2 ? names : [...names].reverse()) {
      const started = performance.now();
      variants[name]();
      samples[name].push(performance.now() - started);
    }
  }
  const at = (sorted, q) => sorted[Math.floor(q * (sorted.length - 1))].toFixed(3);
  console.log(`parsers (200-line script, ${calls} alternating calls each, ms):`);
  for (const name of names) {
    const sorted = samples[name].sort((x, y) => x - y);
    console.log(`  ${name.padEnd(36)} p10 ${at(sorted, 0.1)}  p50 ${at(sorted, 0.5)}`);
  }
  console.log(`  AST JSON: TypeScript ${JSON.stringify(parseSync("units.ts", source, { lang: "ts" }).program).length} B`);
}
