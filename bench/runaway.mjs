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
  return {
    runaway_stop_ms: median(stops),
    runaway_rss_growth_mib: Math.max(...growths),
    detail: { runs, stops_ms: stops, rss_growth_mib: growths, error: message },
  };
}
