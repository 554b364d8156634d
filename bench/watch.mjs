// watch_edit_p50_ms vs node_watch_restart_p50_ms: fs.writeFile of an edit -> new behaviour seen
// by a host call, with graft's watcher on, and with `node --watch` restarting a plain host.
import { spawn } from "node:child_process";
import { writeFileSync } from "node:fs";
import { writeFile } from "node:fs/promises";
import path from "node:path";
import { createRuntime } from "graft";
import { answerOf, percentile, script200, sleep, tempDir, unitsFolder, wakeableWait } from "./fixtures.mjs";

export const WARMUP = 5;
/** Pause between edits: an editor's saves are seconds apart, and chokidar must settle. */
export const GAP_MS = 30;

/**
 * graft: the host keeps an instance of Unit0 and calls `answer()` right after each reload
 * the runtime announces (its "reload" event), until the call returns edit n's value; the
 * clock runs from just before `fs.promises.writeFile` to that answer. The watcher runs with
 * its defaults. (Calling in a busy loop instead measures the same thing plus up to ~1 ms of
 * CPU the loop takes from the reload on a 2-core machine.)
 */
export async function benchWatchEdit({ edits = 80, debounce } = {}) {
  const session = await graftWatchSession({ debounce });
  try {
    const samples = [];
    const toReload = [];
    const reloads = [];
    for (let n = 1; n <= WARMUP + edits; n++) {
      await sleep(GAP_MS);
      const edit = await session.edit(n);
      if (n > WARMUP) {
        samples.push(edit.ms);
        toReload.push(edit.toReloadMs);
        reloads.push(edit.reloadMs);
      }
    }
    return {
      watch_edit_p50_ms: percentile(samples, 0.5),
      detail: {
        samples: samples.length,
        p99_ms: percentile(samples, 0.99),
        // where the time goes: write -> reload starts (fs events, chokidar, debounce), then the reload
        write_to_reload_start_p50_ms: percentile(toReload, 0.5),
        reload_p50_ms: percentile(reloads, 0.5),
      },
    };
  } finally {
    session.close();
  }
}

/**
 * A watching runtime over the fixture, ready for edits: `edit(n)` writes edit n and resolves
 * when a host call on an instance made before the first edit answers edit n's value, with the
 * time that took and, of it, the time until the reload started and the reload itself.
 */
export async function graftWatchSession({ debounce } = {}) {
  const { dir, file } = unitsFolder("watch");
  const runtime = await createRuntime({ scripts: dir, watch: true, ...(debounce === undefined ? {} : { debounce }) });
  const unit = runtime.getClass("units.ts", "Unit0").new();
  let reloadAt = 0;
  let reloadDuration = 0;
  // Resolves at the next reload, or after `ms` in case one was missed.
  const { wake, next: nextReload } = wakeableWait();
  runtime.on("reload", (report) => {
    reloadAt = performance.now();
    reloadDuration = report.durationMs;
    wake();
  });
  await sleep(100); // chokidar's ready event comes before inotify is fully quiet
  return {
    async edit(n) {
      const expected = answerOf(n);
      let reloaded = nextReload(50);
      const started = performance.now();
      await writeFile(file, script200(n));
      while (unit.call("answer").toHost() !== expected) {
        if (performance.now() - started > 5000) throw new Error(`watch bench: edit ${n} never became live`);
        await reloaded;
        reloaded = nextReload(50);
      }
      const ms = performance.now() - started;
      return { ms, toReloadMs: reloadAt - reloadDuration - started, reloadMs: reloadDuration };
    },
    close() {
      runtime.dispose();
    },
  };
}

/** The plain-Node host: loads the same classes (as .mjs) and answers the same call on start. */
const PLAIN_HOST = `import { Unit0 } from "./units.mjs";
const unit = new Unit0();
process.stdout.write("answer " + unit.answer() + "\\n");
setInterval(() => {}, 1 << 30); // stays up, like a server
`;

/**
 * The alternative: \`node --watch host.mjs\`. Node restarts the host when units.mjs changes;
 * the clock runs from just before \`fs.promises.writeFile\` to the restarted host's first
 * answer with the new value on its stdout.
 */
export async function benchNodeWatch({ edits = 12 } = {}) {
  const dir = tempDir("nodewatch");
  writeFileSync(path.join(dir, "units.mjs"), script200(0, { typescript: false }));
  writeFileSync(path.join(dir, "host.mjs"), PLAIN_HOST);
  const child = spawn(process.execPath, ["--watch", "--no-warnings", "host.mjs"], {
    cwd: dir,
    stdio: ["ignore", "pipe", "ignore"],
    env: { ...process.env, NODE_OPTIONS: "" },
  });
  const { waitFor } = stdoutWatcher(child, "node --watch bench");
  try {
    await waitFor(`answer ${answerOf(0)}\n`);
    const samples = [];
    for (let n = 1; n <= 1 + edits; n++) {
      await sleep(300); // node --watch ignores changes for a moment after a restart
      const started = performance.now();
      const answered = waitFor(`answer ${answerOf(n)}\n`);
      await writeFile(path.join(dir, "units.mjs"), script200(n, { typescript: false }));
      const at = await answered;
      if (n > 1) samples.push(at - started); // the first restart warms the file system cache
    }
    return { node_watch_restart_p50_ms: percentile(samples, 0.5), detail: { samples: samples.length, min_ms: Math.min(...samples), p99_ms: percentile(samples, 0.99) } };
  } finally {
    child.kill();
  }
}

/**
 * Watches a child process's stdout for lines: `waitFor(text)` resolves with the time `text`
 * has appeared (at once if it already has), `clear()` forgets what was printed so far.
 */
export function stdoutWatcher(child, label) {
  let output = "";
  let waiting = null;
  child.stdout.setEncoding("utf8");
  child.stdout.on("data", (chunk) => {
    output += chunk;
    if (waiting && output.includes(waiting.text)) {
      const resolve = waiting.resolve;
      waiting = null;
      resolve(performance.now());
    }
  });
  const waitFor = (text) =>
    new Promise((resolve, reject) => {
      if (output.includes(text)) return resolve(performance.now());
      const timer = setTimeout(() => reject(new Error(`${label}: no '${text.trim()}' within 10 s`)), 10_000);
      waiting = { text, resolve: (at) => (clearTimeout(timer), resolve(at)) };
    });
  return { waitFor, clear: () => (output = "") };
}
