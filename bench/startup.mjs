// startup_500_ms / vm_bytes_per_script: createRuntime over 500 generated command scripts.
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { newQuickJSWASMModuleFromVariant } from "quickjs-emscripten-core";
import variant from "@jitl/quickjs-wasmfile-release-sync";
import { createRuntime } from "graft";
import { commandScripts, median, tempDir, vmBytes } from "./fixtures.mjs";

const SCRIPTS = 500;

/**
 * The clock covers `await createRuntime({ scripts })` until it resolves with every script
 * loaded (list, read, compile, evaluate in import order), in a process whose WebAssembly
 * module is already loaded (one warm-up runtime first). Memory is QuickJS's
 * `memory_used_size` of the loaded runtime minus that of a runtime over an empty folder,
 * divided by the number of scripts (500 commands + their shared base).
 */
export async function benchStartup({ runs = 5 } = {}) {
  const dir = commandScripts(SCRIPTS);
  const emptyDir = tempDir("empty");
  mkdirSync(emptyDir, { recursive: true });
  const empty = await createRuntime({ scripts: emptyDir });
  const emptyBytes = vmBytes(empty);
  // What bounds the per-script figure: a bare QuickJS context (all intrinsics), before any code.
  const bare = Array.from({ length: 50 }, () => empty.vm.newContext());
  const bareContextBytes = (vmBytes(empty) - emptyBytes) / bare.length;
  bare.forEach((context) => context.dispose());
  empty.dispose();

  (await createRuntime({ scripts: dir })).dispose(); // warm-up: disk cache, JIT
  const times = [];
  let perScript = 0;
  let files = 0;
  for (let run = 0; run < runs; run++) {
    const started = performance.now();
    const runtime = await createRuntime({ scripts: dir });
    times.push(performance.now() - started);
    files = runtime.files().length;
    if (files !== SCRIPTS + 1 || !runtime.initialReport.ok) throw new Error(`startup bench: loaded ${files} scripts, errors: ${runtime.initialReport.errors.length}`);
    if (run === 0) {
      runtime.gc();
      perScript = (vmBytes(runtime) - emptyBytes) / files;
      const cls = runtime.getClass("commands/c7.ts", "Command7");
      const said = cls.new().call("execute", { name: "ann" }, "apple").toHost();
      if (said !== "ann uses an apple (0).") throw new Error(`startup bench: unexpected answer ${said}`);
    }
    runtime.dispose();
  }
  const baseEdit = await reloadBase(dir, runs);
  const vsBase = await startupBesideBase(dir, Math.max(runs, 4));
  return {
    startup_500_ms: median(times),
    reload_base_500_ms: baseEdit.median,
    vm_bytes_per_script: Math.round(perScript),
    detail: { runs, min_ms: Math.min(...times), empty_runtime_bytes: emptyBytes, bare_context_bytes: Math.round(bareContextBytes), files, reload_base_500_rerun: baseEdit.rerun, vs_base: vsBase },
  };
}

/**
 * Start-up of the same folder by another graft build, side by side with this one in this
 * process (alternating which goes first, round by round): the build of a checkout named by
 * GRAFT_BASE_BUILD (its dist/ built), e.g. the first release's as a fixed yardstick. Null
 * (skipped) when the variable is unset. The ratio is the median of per-round ratios.
 */
async function startupBesideBase(dir, rounds) {
  const root = process.env.GRAFT_BASE_BUILD;
  if (!root) return null;
  const base = (await import(pathToFileURL(path.join(root, "dist", "host-api", "index.js")).href)).createRuntime;
  const sides = { base, this: createRuntime };
  const time = async (side, folder = dir) => {
    const started = performance.now();
    const runtime = await sides[side]({ scripts: folder });
    const elapsed = performance.now() - started;
    const files = runtime.files().length;
    runtime.dispose();
    if (files !== SCRIPTS + 1) throw new Error(`startup bench: the ${side} build loaded ${files} scripts`);
    return elapsed;
  };
  await time("base"); // its warm-up (this build's ran above)
  const times = { base: [], this: [] };
  const ratios = [];
  for (let round = 0; round < rounds; round++) {
    const order = round % 2 === 0 ? ["base", "this"] : ["this", "base"];
    const taken = {};
    for (const side of order) taken[side] = await time(side);
    times.base.push(taken.base);
    times.this.push(taken.this);
    ratios.push(taken.this / taken.base);
  }
  // Each round on a folder of new texts: this build's compile cache has none of them.
  const uncached = { base: [], this: [], ratios: [] };
  for (let round = 0; round < rounds; round++) {
    const folder = commandScripts(SCRIPTS, { header: `// round ${round} ${process.pid}-${Date.now()}` });
    const taken = {};
    for (const side of round % 2 === 0 ? ["base", "this"] : ["this", "base"]) taken[side] = await time(side, folder);
    uncached.base.push(taken.base);
    uncached.this.push(taken.this);
    uncached.ratios.push(taken.this / taken.base);
  }
  return {
    build: root,
    rounds,
    base_startup_500_ms: median(times.base),
    this_startup_500_ms: median(times.this),
    ratio: median(ratios),
    uncached_base_ms: median(uncached.base),
    uncached_this_ms: median(uncached.this),
    uncached_ratio: median(uncached.ratios),
  };
}

/**
 * reload_base_500_ms: `runtime.reload(["base.ts"])` after an edit of the base every one of
 * the 500 commands imports: the base and all 500 importers re-run in one transaction (R13),
 * against a fresh load of the same folder (startup_500_ms). Median of `runs` edits.
 */
async function reloadBase(dir, runs) {
  const file = path.join(dir, "base.ts");
  const original = readFileSync(file, "utf8");
  const runtime = await createRuntime({ scripts: dir, timeout: 10_000 });
  const times = [];
  let rerun = 0;
  try {
    for (let edit = 1; edit <= runs + 1; edit++) {
      writeFileSync(file, original.replace("cannot do that", `cannot do that ${edit}`));
      const started = performance.now();
      const report = await runtime.reload(["base.ts"]);
      const elapsed = performance.now() - started;
      if (!report.ok) throw new Error(report.errors[0].text);
      rerun = report.rerun.length;
      if (rerun !== SCRIPTS) throw new Error(`startup bench: a base edit re-ran ${rerun} importers, not ${SCRIPTS}`);
      if (edit > 1) times.push(elapsed); // the first edit warms up
    }
  } finally {
    runtime.dispose();
    writeFileSync(file, original);
  }
  return { median: median(times), rerun };
}

/**
 * startup_3000_ms: the same over 3,000 command scripts (issue 8), and the check that
 * `findSubclasses(Command)` then finds all 3,000. Median of 3 after a warm-up run.
 */
export async function benchStartup3000({ runs = 3 } = {}) {
  const count = 3000;
  const dir = commandScripts(count);
  const quickjs = await newQuickJSWASMModuleFromVariant(variant);
  (await createRuntime({ scripts: dir, timeout: 10_000 })).dispose();
  quickJsFloor(quickjs, count); // warm-up
  const times = [];
  const floors = [];
  let found = 0;
  for (let run = 0; run < runs; run++) {
    floors.push(quickJsFloor(quickjs, count));
    const started = performance.now();
    const runtime = await createRuntime({ scripts: dir, timeout: 10_000 });
    times.push(performance.now() - started);
    const classes = runtime.findSubclasses("base.ts#Command");
    found = classes.length;
    classes.forEach((cls) => cls.dispose());
    runtime.dispose();
    if (found !== count) throw new Error(`startup 3000 bench: findSubclasses found ${found} of ${count}`);
  }
  const floor = median(floors);
  // The same start-up over texts this process never compiled (the runs above take them from
  // the process's compile cache after the warm-up): what a host's first runtime pays.
  const fresh = commandScripts(count, { header: `// ${process.pid}-${Date.now()}` });
  const uncachedFloor = quickJsFloor(quickjs, count);
  const uncachedStarted = performance.now();
  const uncached = await createRuntime({ scripts: fresh, timeout: 10_000 });
  const uncachedMs = performance.now() - uncachedStarted;
  if (uncached.files().length !== count + 1) throw new Error(`startup 3000 bench: the uncached start-up loaded ${uncached.files().length} scripts`);
  uncached.dispose();
  return {
    startup_3000_ms: median(times),
    startup_3000_found: found,
    detail: { runs, min_ms: Math.min(...times), quickjs_floor_ms: floor, vs_quickjs_floor: median(times) / floor, uncached_ms: uncachedMs, uncached_vs_quickjs_floor: uncachedMs / uncachedFloor },
  };
}

/**
 * What QuickJS itself needs for the same start-up, with nothing of graft: in a bare runtime
 * of the same build, one context per script (as graft gives each file its own) and the
 * script's class evaluated in it (the same class and members, its base defined beside it,
 * no imports, no type stripping). Milliseconds for `count` scripts.
 */
function quickJsFloor(quickjs, count) {
  const runtime = quickjs.newRuntime();
  const contexts = [];
  const started = performance.now();
  for (let i = 0; i < count; i++) {
    const context = runtime.newContext();
    contexts.push(context);
    const result = context.evalCode(
      `class Command { execute(player, args) { return player.name + " cannot do that"; } }
       class Command${i} extends Command {
         static verbs = ["verb${i}", "v${i}"];
         static help = "verb${i} [thing]: does thing number ${i}";
         execute(player, args) {
           if (args === "") return \`\${player.name} does verb${i}.\`;
           return \`\${player.name} uses \${args} (\${${i} % 7}).\`;
         }
       }
       Command${i}.verbs.length`,
    );
    if (result.error) throw new Error("startup 3000 bench: the QuickJS floor's script failed");
    result.value.dispose();
  }
  const elapsed = performance.now() - started;
  for (const context of contexts) context.dispose();
  runtime.dispose();
  return elapsed;
}
