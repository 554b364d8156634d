// bun_hot_edit_p50_ms and watch_vs_bun_hot: the same edit as the watcher figure made live by
// `bun --hot`, which re-evaluates the changed module inside the running Bun process; side by
// side with graft's watcher in this one run, edit by edit. The clock runs from just before
// `fs.promises.writeFile` until the Bun process prints the new module's answer.
//
// Bun is not a dependency of graft: bench/bun-anchor/ has its own package.json (Bun pinned
// exactly, as `@oven/bun-linux-x64` from the npm registry), installed here on first use with
// `npm install --ignore-scripts` and never by graft's own `npm install`, as bench/vite-anchor/
// installs Vite. When it cannot be installed or run, the figure is null and the reason printed.
import { spawn, spawnSync } from "node:child_process";
import { existsSync, writeFileSync } from "node:fs";
import { writeFile } from "node:fs/promises";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { answerOf, percentile, script200, sleep, tempDir } from "./fixtures.mjs";
import { GAP_MS, graftWatchSession, stdoutWatcher, WARMUP } from "./watch.mjs";

const ANCHOR = fileURLToPath(new URL("bun-anchor/", import.meta.url));
const BUN = path.join(ANCHOR, "node_modules/@oven/bun-linux-x64/bin/bun");
const INSTALL_TIMEOUT_MS = 180_000;
/** Bun's watcher, like Vite's, may merge saves that follow an update closely: each side's saves are at least this far apart. */
const SAVE_SPACING_MS = 120;

/** The Bun host: imports the classes and prints an answer each time --hot re-evaluates it. */
const BUN_HOST = `import { Unit0 } from "./units.ts";
console.log("answer " + new Unit0().answer());
(globalThis as any).__keep ??= setInterval(() => {}, 1 << 30);
`;

function installBun(log) {
  if (process.platform !== "linux" || process.arch !== "x64") return `Bun's bench package is for linux-x64 (this is ${process.platform}-${process.arch})`;
  if (existsSync(BUN)) return undefined;
  log("installing Bun into bench/bun-anchor/ (npm install --ignore-scripts, once; not a dependency of graft)");
  const npm = process.platform === "win32" ? "npm.cmd" : "npm";
  const install = spawnSync(npm, ["install", "--ignore-scripts", "--no-audit", "--no-fund", "--loglevel=error"], { cwd: ANCHOR, encoding: "utf8", timeout: INSTALL_TIMEOUT_MS });
  if (install.error || install.status !== 0 || !existsSync(BUN)) {
    const output = install.error ? install.error.message : install.stderr || install.stdout || `npm exited with ${install.status}`;
    return `Bun could not be installed in bench/bun-anchor/ (${output.split("\n").filter((line) => line.trim() !== "" && !/complete log/i.test(line)).slice(0, 2).join(" ").replace(/\b[a-z]+:\/\/\S+/gi, "(address)").trim()})`;
  }
  return undefined;
}

async function bunSession() {
  const dir = tempDir("bun");
  const file = path.join(dir, "units.ts");
  writeFileSync(file, script200(0));
  writeFileSync(path.join(dir, "host.ts"), BUN_HOST);
  const child = spawn(BUN, ["--hot", "--no-clear-screen", "host.ts"], { cwd: dir, stdio: ["ignore", "pipe", "ignore"], env: { ...process.env, BUN_RUNTIME_TRANSPILER_CACHE_PATH: "0" } });
  const stdout = stdoutWatcher(child, "bun --hot");
  const { waitFor } = stdout;
  await waitFor(`answer ${answerOf(0)}\n`);
  const version = spawnSync(BUN, ["--version"], { encoding: "utf8" }).stdout.trim();
  return {
    version,
    async edit(n) {
      stdout.clear();
      const started = performance.now();
      await writeFile(file, script200(n));
      const at = await waitFor(`answer ${answerOf(n)}\n`);
      return at - started;
    },
    close() {
      child.kill();
    },
  };
}

export async function benchBunHot({ edits = 60, log = () => {} } = {}) {
  const notMeasured = (why) => {
    log(`n/a: ${why}`);
    return { bun_hot_edit_p50_ms: null, watch_vs_bun_hot: null, detail: { why } };
  };
  const why = installBun(log);
  if (why) return notMeasured(why);
  let bun;
  try {
    bun = await bunSession();
  } catch (error) {
    return notMeasured(`bun --hot did not start: ${error instanceof Error ? error.message : String(error)}`);
  }
  const graft = await graftWatchSession();
  try {
    const sides = [
      { samples: [], lastSave: 0, edit: async (n) => (await graft.edit(n)).ms },
      { samples: [], lastSave: 0, edit: (n) => bun.edit(n) },
    ];
    for (let n = 1; n <= WARMUP + edits; n++) {
      const order = n % 2 === 0 ? [...sides].reverse() : sides;
      for (const side of order) {
        await sleep(Math.max(GAP_MS, SAVE_SPACING_MS - (performance.now() - side.lastSave)));
        side.lastSave = performance.now();
        const ms = await side.edit(n);
        if (n > WARMUP) side.samples.push(ms);
      }
    }
    const [graftSamples, bunSamples] = sides.map((side) => side.samples);
    const bunP50 = percentile(bunSamples, 0.5);
    const graftP50 = percentile(graftSamples, 0.5);
    return {
      bun_hot_edit_p50_ms: bunP50,
      // graft's time as a multiple of Bun's (the target is <= 1.0).
      watch_vs_bun_hot: graftP50 / bunP50,
      detail: { bun: bun.version, samples: bunSamples.length, bun_p99_ms: percentile(bunSamples, 0.99), graft_watch_p50_ms: graftP50, graft_watch_p99_ms: percentile(graftSamples, 0.99) },
    };
  } finally {
    graft.close();
    bun.close();
  }
}
