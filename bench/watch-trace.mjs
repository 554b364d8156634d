// Where the time of one watched edit goes: the watcher figure's edit (fs.promises.writeFile of
// the 200-line fixture, a host call on an instance made before the first edit until it answers
// the new value), with timestamps along the path taken by wrapping graft's own methods on their
// prototypes and the listeners Node's fs.watch calls (as bench/reload-phases.mjs times phases):
//   node bench/figure.mjs watch-trace [--quick] [--against <another checkout, built>]
// With --against, the other build's watcher runs beside this one in the same process, edit by
// edit, alternating which goes first. Not in run.mjs: a breakdown, not a figure. Every point
// is ms since just before the write.
import { writeFile } from "node:fs/promises";
import fs, { writeFileSync } from "node:fs";
import { syncBuiltinESMExports } from "node:module";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { answerOf, percentile, script200, sleep, unitsFolder, wakeableWait } from "./fixtures.mjs";
import { GAP_MS, WARMUP } from "./watch.mjs";

const ROOT = path.resolve(import.meta.dirname, "..");

/** What each traced method marks, as [point, module under dist/, class, method, at "start" or "end"]. */
const POINTS = [
  ["watcher hands the batch over", "host-api/watched-reloads.js", "WatchedReloads", "handOver", "start"],
  ["reload starts (engine)", "runtime/reload/reload-engine.js", "ReloadEngine", "reload", "start"],
  ["read done", "runtime/reload/candidate-reader.js", "CandidateReader", "readSettled", "end"],
  ["compile done", "runtime/reload/candidate-reader.js", "CandidateReader", "candidateFrom", "end"],
  ["instantiate done", "runtime/reload/executor.js", "TransactionExecutor", "instantiate", "end"],
  ["evaluate done", "runtime/reload/executor.js", "TransactionExecutor", "evaluate", "end"],
  ["commit done", "runtime/kernel/kernel.js", "Kernel", "commit", "end"],
  ["reload done (engine)", "runtime/reload/reload-engine.js", "ReloadEngine", "reload", "end"],
];

let trace = null; // this edit's [point, ms since the write started, detail]
let started = 0;
const mark = (point, detail) => trace?.push([point, performance.now() - started, detail]);

function instrumentFsWatch() {
  const original = fs.watch;
  fs.watch = function (target, ...rest) {
    const index = rest.findIndex((arg) => typeof arg === "function");
    if (index !== -1) {
      const listener = rest[index];
      const kind = (() => {
        try {
          return fs.statSync(target).isDirectory() ? "folder" : "file";
        } catch {
          return "?";
        }
      })();
      rest[index] = function (event, name) {
        mark("inotify event reaches node", `${kind} ${event} ${name}`);
        return listener.apply(this, arguments);
      };
    }
    return original.call(this, target, ...rest);
  };
  syncBuiltinESMExports();
}

async function instrumentGraft(root) {
  for (const [point, file, className, method, at] of POINTS) {
    let module;
    try {
      module = await import(pathToFileURL(path.join(root, "dist", file)).href);
    } catch {
      continue; // a build without this module: no such point
    }
    const proto = module[className]?.prototype;
    const original = proto?.[method];
    if (typeof original !== "function") continue;
    proto[method] = function (...args) {
      if (at === "start") mark(point, method === "handOver" ? args[0].join(",") + (args[1]?.size ? " midWrite" : "") : undefined);
      const result = original.apply(this, args);
      if (at === "end") {
        const detail = method === "readSettled" ? (outcome) => (outcome === undefined ? "empty: left to the next event" : outcome.kind === "source" ? `${outcome.source.length} chars` : outcome.kind) : () => undefined;
        if (result && typeof result.then === "function") return result.then((value) => (mark(point, detail(value)), value));
        mark(point, detail(result));
      }
      return result;
    };
  }
  return (await import(pathToFileURL(path.join(root, "dist/host-api/index.js")).href)).createRuntime;
}

async function watchSession(root) {
  const createRuntime = await instrumentGraft(root);
  const { dir, file } = unitsFolder("watch-trace");
  const runtime = await createRuntime({ scripts: dir, watch: true });
  const unit = runtime.getClass("units.ts", "Unit0").new();
  const { wake, next: nextReload } = wakeableWait();
  runtime.on("reload", (report) => {
    mark("host's 'reload' event", report.files.join(",") || "(nothing reloaded)");
    wake();
  });
  return {
    root,
    traces: [],
    async edit(n) {
      const expected = answerOf(n);
      trace = [];
      let reloaded = nextReload(50);
      started = performance.now();
      await writeFile(file, script200(n));
      mark("writeFile resolves");
      while (unit.call("answer").toHost() !== expected) {
        if (performance.now() - started > 5000) throw new Error(`watch-trace: edit ${n} never became live`);
        await reloaded;
        reloaded = nextReload(50);
      }
      mark("host sees the new answer");
      await sleep(20); // late events of this save land in its trace
      const done = trace;
      trace = null;
      return done;
    },
    close: () => runtime.dispose(),
  };
}

/**
 * The yardstick for "the reload as the watcher runs it": this build's `reload(["units.ts"])`
 * called directly, after the same pause as a watched edit, and again at once (back to back).
 * Its texts differ from the watched ones (the compile cache is per process).
 */
async function directSession() {
  const { createRuntime } = await import(pathToFileURL(path.join(ROOT, "dist/host-api/index.js")).href);
  const { dir, file } = unitsFolder("watch-trace-direct");
  const runtime = await createRuntime({ scripts: dir });
  const afterPause = [];
  const backToBack = [];
  const reload = async (n) => {
    writeFileSync(file, script200(n));
    const report = await runtime.reload(["units.ts"]);
    if (!report.ok || report.files.length !== 1) throw new Error(`watch-trace: direct reload of edit ${n} did not apply`);
    return report.durationMs;
  };
  return {
    async edit(n, measured) {
      const paused = await reload(1_000_000 + 2 * n);
      const hot = await reload(1_000_000 + 2 * n + 1);
      if (measured) afterPause.push(paused), backToBack.push(hot);
    },
    result: () => ({ after_the_same_pause_p50_ms: +percentile(afterPause, 0.5).toFixed(3), back_to_back_p50_ms: +percentile(backToBack, 0.5).toFixed(3) }),
    close: () => runtime.dispose(),
  };
}

export async function benchWatchTrace({ edits = 80, against } = {}) {
  instrumentFsWatch();
  const roots = [ROOT, ...(against ? [path.resolve(against)] : [])];
  const sessions = [];
  for (const root of roots) sessions.push(await watchSession(root));
  const direct = await directSession();
  await sleep(100);
  try {
    for (let n = 1; n <= WARMUP + edits; n++) {
      for (const session of n % 2 === 0 ? [...sessions].reverse() : sessions) {
        await sleep(GAP_MS);
        const events = await session.edit(n);
        if (n > WARMUP) session.traces.push(events);
      }
      await sleep(GAP_MS + 20); // as long as a watched edit's pause and its trace's tail
      await direct.edit(n, n > WARMUP);
    }
  } finally {
    for (const session of sessions) session.close();
    direct.close();
  }
  return {
    ...Object.fromEntries(sessions.map((session) => [session.root === ROOT ? "this build" : session.root, summarize(session.traces)])),
    "reload() called directly, this build": direct.result(),
  };
}

/** Per point: p50 of its first occurrence, and of its occurrence in the reload that made the edit live. */
function summarize(traces) {
  const first = new Map();
  const live = new Map();
  const counts = new Map();
  const add = (map, key, value) => (map.get(key) ?? map.set(key, []).get(key)).push(value);
  const examples = [];
  const durations = [];
  for (const events of traces) {
    const seen = new Set();
    const answeredAt = events.find(([point]) => point === "host sees the new answer")?.[1];
    // The reload that made the edit live: the last one that compiled before the answer.
    const compiled = events.filter(([point, at]) => point === "compile done" && at <= answeredAt);
    const compileAt = compiled.length ? compiled[compiled.length - 1][1] : undefined;
    const liveStart = events.filter(([point, at]) => point === "reload starts (engine)" && at <= compileAt).pop()?.[1];
    for (const [point, at] of events) {
      add(counts, point, 1);
      if (!seen.has(point)) {
        seen.add(point);
        add(first, point, at);
      }
    }
    for (const [point, at] of events) {
      if (liveStart === undefined || at < liveStart) continue;
      if (point.startsWith("inotify") || point === "watcher hands the batch over") continue;
      if (!live.has(point) || live.get(point).length < traces.indexOf(events) + 1) add(live, point, at);
    }
    const liveDone = events.find(([point, at]) => point === "reload done (engine)" && at >= compileAt)?.[1];
    if (liveDone !== undefined) durations.push(liveDone - liveStart);
    // what happened just before the live reload
    const before = events.filter(([point, at]) => (point.startsWith("inotify") || point === "watcher hands the batch over") && at <= liveStart);
    const last = before[before.length - 1];
    if (last) add(live, `${last[0]} (last before the live reload)`, last[1]);
    if (examples.length < 3) examples.push(events.map(([point, at, detail]) => `${at.toFixed(3)} ${point}${detail ? ` (${detail})` : ""}`));
  }
  const table = (map) => Object.fromEntries([...map].map(([point, values]) => [point, +percentile(values, 0.5).toFixed(3)]));
  return {
    edits: traces.length,
    reload_as_the_watcher_runs_it_p50_ms: +percentile(durations, 0.5).toFixed(3),
    first_occurrence_p50_ms: table(first),
    live_reload_p50_ms: table(live),
    per_edit_count: Object.fromEntries([...counts].map(([point, values]) => [point, +(values.length / traces.length).toFixed(2)])),
    examples,
  };
}
