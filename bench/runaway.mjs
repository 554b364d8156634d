// runaway_stop_ms / runaway_rss_growth_mib: a script allocating without end, memoryLimit 64 MiB, timeout 500 ms.
import { writeFileSync } from "node:fs";
import path from "node:path";
import { createRuntime } from "graft";
import { median, tempDir } from "./fixtures.mjs";
import { mkdirSync } from "node:fs";

const MIB = 1024 * 1024;

/**
 * The host calls `bomb()`, which pushes 100,000-element arrays into one array forever
 * (issue 8's reproduction). The clock runs from the call until it throws; RSS is the host
 * process's resident size after the call minus before it, with the runtime still alive.
 * After each run the runtime must answer an ordinary call. Median of 5 runs, each in a
 * fresh runtime; the raw quickjs-emscripten figure is in the detail (run 1 only: it takes
 * ~10 s and keeps 2 GiB).
 */
export async function benchRunaway({ runs = 5 } = {}) {
  const dir = tempDir("runaway");
  mkdirSync(dir, { recursive: true });
  writeFileSync(
    path.join(dir, "bomb.ts"),
    "export function bomb(): void { const hoard: string[][] = []; for (;;) hoard.push(new Array(100000).fill('x')); }\nexport function ok(): number { return 42; }\n",
  );
  const stops = [];
  const growths = [];
  let message = "";
  for (let run = 0; run < runs; run++) {
    const runtime = await createRuntime({ scripts: dir, memoryLimit: 64 * MIB, timeout: 500 });
    const exports = runtime.exports("bomb.ts");
    global.gc?.();
    const rssBefore = process.memoryUsage().rss;
    const started = performance.now();
    try {
      exports.bomb.invoke();
    } catch (error) {
      message = error.message;
    }
    stops.push(performance.now() - started);
    growths.push((process.memoryUsage().rss - rssBefore) / MIB);
    if (exports.ok.invoke().toHost() !== 42) throw new Error("runaway bench: the runtime stopped serving");
    runtime.dispose();
  }
  const builtins = await benchBuiltinOverrun({ runs: Math.min(runs, 3) });
  return {
    runaway_stop_ms: median(stops),
    runaway_rss_growth_mib: Math.max(...growths),
    builtin_overrun_ms: builtins.worst,
    detail: { runs, stops_ms: stops, rss_growth_mib: growths, error: message, builtins: builtins.detail },
  };
}

/** Long C builtins, which QuickJS does not interrupt (see bench/README.md). */
const BUILTINS = {
  join: "new Array(2 ** 25).fill(0).join(',').length",
  stringify: "JSON.stringify(new Array(2 ** 22).fill({ k: 'value' })).length",
  fill: "new Array(2 ** 26).fill(1).length",
  // One allocation up front, then a C loop: nothing left to refuse (reported, not in the figure).
  repeat: "'x'.repeat(2 ** 28).length",
};
const TIMEOUT_MS = 500;

/**
 * builtin_overrun_ms: with timeout 500 ms (memoryLimit 1 GiB), how long past the timeout a
 * call running one long builtin ends; worst of join and fill (median of `runs` fresh
 * runtimes each). Detail: each case's median and how it ended, stringify and repeat too.
 */
async function benchBuiltinOverrun({ runs }) {
  const dir = tempDir("builtins");
  mkdirSync(dir, { recursive: true });
  writeFileSync(path.join(dir, "big.ts"), Object.entries(BUILTINS).map(([name, code]) => `export function ${name}(): number { return ${code}; }`).join("\n"));
  const detail = {};
  for (const name of Object.keys(BUILTINS)) {
    const overruns = [];
    let outcome = "";
    for (let run = 0; run < (name === "repeat" ? 1 : runs); run++) {
      const runtime = await createRuntime({ scripts: dir, memoryLimit: 1024 * MIB, timeout: TIMEOUT_MS });
      const fn = runtime.exports("big.ts")[name];
      const started = performance.now();
      try {
        outcome = `returned ${fn.invoke().toHost()}`;
      } catch (error) {
        outcome = error.message.slice(0, 80);
      }
      overruns.push(performance.now() - started - TIMEOUT_MS);
      fn.dispose();
      runtime.dispose();
    }
    detail[name] = { overrun_ms: median(overruns), outcome };
  }
  // The figure: the builtins that allocate as they go (stringify allocates early, then works on).
  return { worst: Math.max(detail.join.overrun_ms, detail.fill.overrun_ms), detail };
}
