// Runs one bench module in this process and prints its result as JSON on stdout:
//   node bench/figure.mjs <reload|reload-phases|cycles|watch|watch-trace|vite|bun|node-watch|call|countdown|async|startup|startup-3000|runaway|heap|gc-small|heap-scale|heap-write|heap-inspect|soak> [--quick]
// (heap-scale, heap-write and heap-inspect need node --expose-gc, as run.mjs starts them)
// run.mjs starts one of these per figure, so that no figure runs in a heap another one left.
import { benchReload } from "./reload.mjs";
import { benchNodeWatch, benchWatchEdit } from "./watch.mjs";
import { benchCall } from "./call.mjs";
import { benchLoopCountdown } from "./countdown.mjs";
import { benchAsync } from "./async.mjs";
import { benchStartup, benchStartup3000 } from "./startup.mjs";
import { benchRunaway } from "./runaway.mjs";
import { benchGcSmall, benchHeap } from "./heap.mjs";
import { benchHeapInspect, benchHeapScale, benchHeapWrite } from "./heap-scale.mjs";
import { benchViteHmr } from "./vite.mjs";
import { benchSoak } from "./soak.mjs";
import { benchCycles } from "./cycles.mjs";
import { benchBunHot } from "./bun.mjs";
import { benchReloadPhases } from "./reload-phases.mjs";
import { benchWatchTrace } from "./watch-trace.mjs";
import { removeTempDirs } from "./fixtures.mjs";

const [name] = process.argv.slice(2);
const quick = process.argv.includes("--quick"); // a smoke run: fewer samples, 1,000-reload soak
const option = (flag) => {
  const index = process.argv.indexOf(flag);
  return index === -1 ? undefined : process.argv[index + 1];
};
const progress = (text) => process.stderr.write(`  ${name}: ${text}\n`);

const figures = {
  reload: () => benchReload({ edits: quick ? 50 : 200 }),
  // not in run.mjs: a breakdown, with another build beside this one (--against <dir>)
  "reload-phases": () => benchReloadPhases({ edits: quick ? 50 : 200, against: option("--against") }),
  cycles: () => benchCycles({ edits: quick ? 30 : 100 }),
  watch: () => benchWatchEdit({ edits: quick ? 20 : 80 }),
  // not in run.mjs: a breakdown of one watched edit, timestamps along the path
  "watch-trace": () => benchWatchTrace({ edits: quick ? 20 : 80, against: option("--against") }),
  vite: () => benchViteHmr({ edits: quick ? 20 : 80, log: progress }),
  bun: () => benchBunHot({ edits: quick ? 20 : 60, log: progress }),
  "node-watch": () => benchNodeWatch({ edits: quick ? 4 : 12 }),
  call: () => benchCall({ rounds: quick ? 6 : 30 }),
  countdown: () => benchLoopCountdown({ rounds: quick ? 4 : 16 }),
  async: () => benchAsync({ rounds: quick ? 4 : 20 }),
  startup: () => benchStartup({ runs: quick ? 2 : 5 }),
  "startup-3000": () => benchStartup3000({ runs: quick ? 1 : 3 }),
  runaway: () => benchRunaway({ runs: quick ? 2 : 5 }),
  heap: () => benchHeap(),
  "gc-small": () => benchGcSmall({ rounds: quick ? 10 : 30 }),
  "heap-scale": () => benchHeapScale({ rounds: quick ? 3 : 7, items: quick ? 100_000 : 300_000, scriptSnapshots: quick ? 1 : 3 }),
  "heap-write": () => benchHeapWrite({ items: quick ? 200_000 : 1_000_000 }),
  "heap-inspect": () => benchHeapInspect({ items: quick ? 100_000 : 500_000 }),
  soak: () => benchSoak({ reloads: quick ? 1000 : 10_000, onProgress: (n) => progress(`${n} reloads`) }),
};

if (!(name in figures)) {
  process.stderr.write(`usage: node bench/figure.mjs <${Object.keys(figures).join("|")}> [--quick]\n`);
  process.exit(2);
}
try {
  const result = await figures[name]();
  process.stdout.write(JSON.stringify(result) + "\n");
} finally {
  removeTempDirs();
}
