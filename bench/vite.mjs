// vite_hmr_edit_p50_ms and watch_speedup_vs_vite_hmr: the same edit as the watcher figure made
// live by Vite's in-process HMR (its module runner on the SSR environment, the module accepting
// its own updates), side by side with graft's watcher in this one process, edit by edit.
//
// Vite is not a dependency of graft: bench/vite-anchor/ has its own package.json and lock
// (Vite pinned exactly), installed here on first use with `npm ci --ignore-scripts` (nothing
// of it runs at install, nothing is downloaded but the packages) and never by graft's own
// `npm install`. When it cannot be installed, the figure is null and the reason is printed.
import { spawnSync } from "node:child_process";
import { existsSync, writeFileSync } from "node:fs";
import { writeFile } from "node:fs/promises";
import path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { answerOf, percentile, script200, sleep, tempDir, wakeableWait } from "./fixtures.mjs";
import { GAP_MS, graftWatchSession, WARMUP } from "./watch.mjs";

const ANCHOR = fileURLToPath(new URL("vite-anchor/", import.meta.url));
const VITE_ENTRY = path.join(ANCHOR, "node_modules/vite/dist/node/index.js");
const INSTALL_TIMEOUT_MS = 180_000;

/** The module accepts its own updates and hands the host the new exports (what an SSR app does to swap handlers). */
const ACCEPT = `if (import.meta.hot) import.meta.hot.accept((next) => { (globalThis as any).__graftBenchLatest = next; (globalThis as any).__graftBenchWake?.(); });\n`;
const units = (n) => script200(n) + ACCEPT;

/** Vite from bench/vite-anchor/, installed there if it is not yet; or why it cannot be had. */
async function loadVite(log) {
  if (!existsSync(VITE_ENTRY)) {
    log("installing Vite into bench/vite-anchor/ (npm ci --ignore-scripts, once; not a dependency of graft)");
    const npm = process.platform === "win32" ? "npm.cmd" : "npm";
    const install = spawnSync(npm, ["ci", "--ignore-scripts", "--no-audit", "--no-fund", "--loglevel=error"], {
      cwd: ANCHOR,
      encoding: "utf8",
      timeout: INSTALL_TIMEOUT_MS,
      env: { ...process.env, PUPPETEER_SKIP_DOWNLOAD: "1" },
    });
    if (install.error || install.status !== 0 || !existsSync(VITE_ENTRY)) {
      const output = install.error ? install.error.message : install.stderr || install.stdout || `npm exited with ${install.status}`;
      // npm's own words, without addresses or the path of its log
      const why = output
        .split("\n")
        .filter((line) => line.trim() !== "" && !/complete log/i.test(line))
        .slice(0, 2)
        .join(" ")
        .replace(/\b[a-z]+:\/\/\S+/gi, "(address)")
        .replace(/\s+/g, " ")
        .trim();
      return { why: `Vite could not be installed in bench/vite-anchor/ (${why})` };
    }
  }
  try {
    return { vite: await import(pathToFileURL(VITE_ENTRY).href) };
  } catch (error) {
    return { why: `Vite in bench/vite-anchor/ does not load on node ${process.version}: ${error instanceof Error ? error.message : String(error)}` };
  }
}

/**
 * Vite's side. `createServer` (middleware mode, no config file, no HTTP server) watches the
 * folder; `createServerModuleRunner` imports units.ts through Vite's transform; on each save
 * Vite's watcher sends an update, the runner re-executes the module and the module's accept
 * callback hands the host the new exports. `edit(n)` runs from just before
 * `fs.promises.writeFile` until `new Unit0().answer()` on the newest exports returns edit n's
 * value. Vite re-executes the module (and would re-execute its importers up to an accepting
 * one): an instance made before the edit keeps its old class and its old answer.
 */
async function viteSession({ createServer, createServerModuleRunner }) {
  const dir = tempDir("vite");
  const file = path.join(dir, "units.ts");
  writeFileSync(file, units(0));
  const server = await createServer({ root: dir, configFile: false, logLevel: "silent", appType: "custom", server: { middlewareMode: true, ws: false } });
  const runner = createServerModuleRunner(server.environments.ssr, { hmr: { logger: false } });
  const first = await runner.import("/units.ts");
  globalThis.__graftBenchLatest = first;
  const before = new first.Unit0();
  // Resolves at the next accepted update, or after `ms` in case one was missed.
  const { wake, next: nextUpdate } = wakeableWait();
  globalThis.__graftBenchWake = wake;
  await sleep(100);
  const latestAnswer = () => new globalThis.__graftBenchLatest.Unit0().answer();
  return {
    before,
    async edit(n) {
      const expected = answerOf(n);
      let updated = nextUpdate(50);
      const started = performance.now();
      await writeFile(file, units(n));
      while (latestAnswer() !== expected) {
        if (performance.now() - started > 5000) throw new Error(`edit ${n} was not live after 5 s (the newest module still answers ${latestAnswer()}; Vite did not re-run it for this save)`);
        await updated;
        updated = nextUpdate(50);
      }
      return performance.now() - started;
    },
    async close() {
      delete globalThis.__graftBenchWake;
      delete globalThis.__graftBenchLatest;
      await runner.close();
      await server.close();
    },
  };
}

/**
 * Vite's watcher (chokidar, bundled in Vite) drops saves that follow an update closely: with
 * saves 30 ms apart, 34 change events came for 60 saves and 26 edits never became live; at
 * 100 ms apart none was lost. Each side's saves are therefore at least this far apart.
 */
const SAVE_SPACING_MS = 120;

/**
 * Both sides in this process, edit by edit: graft's watcher makes edit n live, then Vite
 * does (the order alternates each edit), with 30 ms between one side's edit and the other's
 * save, as in the watcher figure, and at least SAVE_SPACING_MS between saves of one side. The
 * ratio is of the two p50s of this run. A third side, graft with `debounce: 1`, shows what the
 * watcher's default debounce (25 ms, which keeps a checkout one batch) costs here.
 */
export async function benchViteHmr({ edits = 80, log = () => {} } = {}) {
  const notMeasured = (why, version = null) => {
    log(`n/a: ${why}`);
    return { vite_hmr_edit_p50_ms: null, watch_speedup_vs_vite_hmr: null, detail: { vite: version, why } };
  };
  const loaded = await loadVite(log);
  if (!loaded.vite) return notMeasured(loaded.why);
  const version = loaded.vite.version;
  let vite;
  try {
    vite = await viteSession(loaded.vite);
  } catch (error) {
    return notMeasured(`Vite ${version} did not start: ${error instanceof Error ? error.message : String(error)}`, version);
  }
  const graft = await graftWatchSession();
  const graftQuick = await graftWatchSession({ debounce: 1 });
  try {
    const sides = [
      { samples: [], lastSave: 0, edit: async (n) => (await graft.edit(n)).ms },
      { samples: [], lastSave: 0, edit: (n) => vite.edit(n), isVite: true },
      { samples: [], lastSave: 0, edit: async (n) => (await graftQuick.edit(n)).ms },
    ];
    for (let n = 1; n <= WARMUP + edits; n++) {
      const order = n % 2 === 0 ? [...sides].reverse() : sides;
      for (const side of order) {
        await sleep(Math.max(GAP_MS, SAVE_SPACING_MS - (performance.now() - side.lastSave)));
        side.lastSave = performance.now();
        let ms;
        try {
          ms = await side.edit(n);
        } catch (error) {
          // Vite's side failing (e.g. its watcher lost a save) leaves the figure unmeasured, not the whole bench broken.
          if (!side.isVite) throw error;
          return notMeasured(`Vite's side failed: ${error instanceof Error ? error.message : String(error)}`, version);
        }
        if (n > WARMUP) side.samples.push(ms);
      }
    }
    const [graftSamples, viteSamples, quickSamples] = sides.map((side) => side.samples);
    const viteP50 = percentile(viteSamples, 0.5);
    const graftP50 = percentile(graftSamples, 0.5);
    return {
      vite_hmr_edit_p50_ms: viteP50,
      watch_speedup_vs_vite_hmr: viteP50 / graftP50,
      detail: {
        vite: version,
        samples: viteSamples.length,
        vite_p99_ms: percentile(viteSamples, 0.99),
        graft_watch_p50_ms: graftP50,
        graft_watch_p99_ms: percentile(graftSamples, 0.99),
        graft_watch_debounce_1_p50_ms: percentile(quickSamples, 0.5),
        // Vite re-ran the module: an instance from before the first edit still has edit 0's class.
        vite_instance_from_before_answers: vite.before.answer(),
        edit_0_answer: answerOf(0),
      },
    };
  } finally {
    graft.close();
    graftQuick.close();
    await vite.close();
  }
}
