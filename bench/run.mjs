// npm run bench: every figure (F1 in docs/rules.md) next to its alternative, in one run.
// Prints a table and writes bench/results.json (the figures) and bench/results.detail.json.
import { spawnSync } from "node:child_process";
import { writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { round } from "./fixtures.mjs";

const quick = process.argv.includes("--quick"); // a smoke run: fewer samples, 1,000-reload soak; writes nothing
const here = (name) => fileURLToPath(new URL(name, import.meta.url));
const log = (text) => process.stderr.write(`${text}\n`);

// Each figure runs in its own Node process (bench/figure.mjs), one after the other.
const steps = ["reload", "cycles", "watch", "vite", "bun", "node-watch", "call", "countdown", "async", "startup", "startup-3000", "runaway", "heap", "gc-small", "heap-scale", "heap-write", "heap-inspect", "soak"];
/** Figures that measure host memory after V8's own collection. */
const EXPOSE_GC = new Set(["heap-scale", "heap-write", "heap-inspect"]);

const figures = {};
const detail = {};
const started = performance.now();
for (const name of steps) {
  const t = performance.now();
  log(`bench: ${name} ...`);
  const child = spawnSync(process.execPath, [...(EXPOSE_GC.has(name) ? ["--expose-gc"] : []), here("figure.mjs"), name, ...(quick ? ["--quick"] : [])], {
    encoding: "utf8",
    stdio: ["ignore", "pipe", "inherit"],
    timeout: 180_000,
  });
  if (child.status !== 0) throw new Error(`bench: ${name} failed (exit ${child.status ?? child.signal})`);
  const { detail: more, ...values } = JSON.parse(child.stdout.trim().split("\n").at(-1));
  Object.assign(figures, values);
  detail[name] = more;
  log(`bench: ${name} done in ${((performance.now() - t) / 1000).toFixed(1)} s`);
}
figures.watch_speedup_vs_node_watch = figures.node_watch_restart_p50_ms / figures.watch_edit_p50_ms;
// watch_speedup_vs_vite_hmr comes from the vite figure, which runs graft's watcher beside Vite edit by edit.

const KEYS = [
  "reload_p50_ms", "reload_p99_ms", "cycles_leaf_edit_p50_ms", "watch_edit_p50_ms", "node_watch_restart_p50_ms", "watch_speedup_vs_node_watch",
  "call_overhead_ratio", "startup_500_ms", "reload_base_500_ms", "vm_bytes_per_script", "soak_reloads", "soak_growth_pct", "soak_leaks",
  "gc_100k_ms", "gc_small_ms", "snapshot_100k_ms", "startup_3000_ms", "startup_3000_found", "runaway_stop_ms", "runaway_rss_growth_mib",
  "builtin_overrun_ms", "loop_countdown_slowdown", "timer_callback_vs_call", "host_async_roundtrip_us",
  "vite_hmr_edit_p50_ms", "watch_speedup_vs_vite_hmr", "bun_hot_edit_p50_ms", "watch_vs_bun_hot",
  "leaks_600k_vs_gc", "find_instances_600k_vs_gc", "snapshot_us_per_object", "snapshot_host_bytes_per_object", "heap_write_2m_ms", "heap_write_2m_rss_mib", "snapshot_pause_1m_ms",
  "inspector_snapshot_1m_ms", "inspector_snapshot_1m_host_bytes_per_object",
];
const results = Object.fromEntries(KEYS.map((key) => [key, figures[key] === null || figures[key] === undefined ? null : round(figures[key], 3)]));

const ms = (v) => (v === null ? "n/a" : `${round(v, 2)} ms`);
const check = (ok) => (ok === null ? "n/a" : ok ? "yes" : "NO");
const d = detail;
const rows = [
  ["edit -> new behaviour (watcher), p50", ms(results.watch_edit_p50_ms), `node --watch restart ${ms(results.node_watch_restart_p50_ms)}`, `${round(results.watch_speedup_vs_node_watch, 1)}x faster`, "<= 5 ms, >= 20x", check(results.watch_edit_p50_ms <= 5 && results.watch_speedup_vs_node_watch >= 20)],
  [
    "edit -> new behaviour (watcher), p50, vs Vite HMR",
    ms(d.vite?.graft_watch_p50_ms ?? null),
    results.vite_hmr_edit_p50_ms === null ? `Vite: n/a (${d.vite?.why ?? "not measured"})` : `Vite ${d.vite.vite} module runner + HMR accept ${ms(results.vite_hmr_edit_p50_ms)}`,
    results.watch_speedup_vs_vite_hmr === null ? "n/a" : results.watch_speedup_vs_vite_hmr >= 1 ? `${round(results.watch_speedup_vs_vite_hmr, 1)}x faster` : `${round(1 / results.watch_speedup_vs_vite_hmr, 1)}x slower (debounce 1: ${ms(d.vite.graft_watch_debounce_1_p50_ms)})`,
    ">= 2x faster (side by side)",
    check(results.watch_speedup_vs_vite_hmr === null ? null : results.watch_speedup_vs_vite_hmr >= 2),
  ],
  [
    "edit -> new behaviour (watcher), p50, vs bun --hot",
    ms(d.bun?.graft_watch_p50_ms ?? null),
    results.bun_hot_edit_p50_ms === null ? `Bun: n/a (${d.bun?.why ?? "not measured"})` : `bun ${d.bun.bun} --hot ${ms(results.bun_hot_edit_p50_ms)}`,
    results.watch_vs_bun_hot === null ? "n/a" : `${round(results.watch_vs_bun_hot, 2)}x Bun's time`,
    "<= 1.0x (side by side)",
    check(results.watch_vs_bun_hot === null ? null : results.watch_vs_bun_hot <= 1),
  ],
  ["reload(file), p50 / p99", `${ms(results.reload_p50_ms)} / ${ms(results.reload_p99_ms)}`, `QuickJS compile + evaluate ${ms(d.reload?.quickjs_compile_evaluate_p50_ms ?? null)}`, `${round(d.reload?.reload_vs_quickjs ?? NaN, 1)}x`, "p50 <= 1 ms, <= 2x QuickJS", check(results.reload_p50_ms <= 1 && (d.reload?.reload_vs_quickjs ?? Infinity) <= 2)],
  ["reload of a leaf in 60 files of import cycles, p50", ms(results.cycles_leaf_edit_p50_ms), `every module reading it at top level ${ms(d.cycles?.every_module_reads_leaf_p50_ms ?? null)}`, `${d.cycles?.reruns_per_edit ?? "?"} vs ${d.cycles?.every_module_reads_leaf_reruns ?? "?"} re-run`, "<= 10 ms", check(results.cycles_leaf_edit_p50_ms <= 10)],
  ["start-up, 500 scripts", ms(results.startup_500_ms), "", "", "<= 1.5 s", check(results.startup_500_ms <= 1500)],
  ["reload of the base 500 scripts import (all 500 re-run)", ms(results.reload_base_500_ms), `fresh load of the 500 ${ms(results.startup_500_ms)}`, results.reload_base_500_ms && results.startup_500_ms ? `${round(results.reload_base_500_ms / results.startup_500_ms, 2)}x` : "n/a", "(side by side)", "n/a"],
  ["start-up, 3,000 scripts; findSubclasses finds", `${ms(results.startup_3000_ms)}; ${results.startup_3000_found}`, "", "", "<= 2 s; all 3,000", check(results.startup_3000_ms <= 2000 && results.startup_3000_found === 3000)],
  ["runaway allocation (64 MiB, 500 ms): stopped after / host RSS growth", `${ms(results.runaway_stop_ms)} / ${round(results.runaway_rss_growth_mib, 1)} MiB`, "", "", "<= 2 s, <= 256 MiB", check(results.runaway_stop_ms <= 2000 && results.runaway_rss_growth_mib <= 256)],
  ["long C builtin (join, fill) past a 500 ms timeout, worst", ms(results.builtin_overrun_ms), `JSON.stringify ${ms(d.runaway?.builtins?.stringify?.overrun_ms ?? null)}`, "", "(none)", "n/a"],
  ["compute-heavy script code with the outside stop's loop countdown, worst of two mixes", `${round(results.loop_countdown_slowdown, 3)}x`, `interpreter ${round(d.countdown?.interpreter?.ratio ?? NaN, 3)}x, builtins ${round(d.countdown?.builtins?.ratio ?? NaN, 3)}x`, "", "(none)", "n/a"],
  ["VM memory per script", `${round(results.vm_bytes_per_script / 1024, 1)} KB`, "", "", "<= 40 KB", check(results.vm_bytes_per_script <= 40 * 1024)],
  ["host->script call", `${round(d.call.graft_call_us, 3)} us`, `raw callFunction ${round(d.call.raw_call_us, 3)} us`, `${round(results.call_overhead_ratio, 3)}x`, "<= 1.1x", check(results.call_overhead_ratio <= 1.1)],
  ["timer callback (event loop -> script)", `${round(d.async.timer_callback_us, 3)} us`, `host->script call ${round(d.async.call_us, 3)} us`, `${round(results.timer_callback_vs_call, 2)}x`, "(none)", "n/a"],
  ["script awaits an async host function", `${round(results.host_async_roundtrip_us, 2)} us`, `host->script->host->promise() ${round(d.async.host_to_script_and_back_us, 2)} us`, "", "(none)", "n/a"],
  [`gc(), ${d.heap?.live_objects ?? "100k"} live objects`, ms(results.gc_100k_ms), "", "", "<= 50 ms", check(results.gc_100k_ms === null ? null : results.gc_100k_ms <= 50)],
  [
    "gc(), one small script",
    ms(results.gc_small_ms),
    d["gc-small"]?.vs_base ? `the ${path.basename(d["gc-small"].vs_base.build)} build ${ms(d["gc-small"].vs_base.base_gc_ms)}` : "(GRAFT_BASE_BUILD unset)",
    d["gc-small"]?.vs_base ? `${round(d["gc-small"].vs_base.ratio, 2)}x` : "",
    "<= 1.0x the 02d7ae9 build",
    check(d["gc-small"]?.vs_base ? d["gc-small"].vs_base.ratio <= 1 : null),
  ],
  [
    `heap.snapshot(), ${d.heap?.live_objects ?? "100k"} live objects`,
    ms(results.snapshot_100k_ms),
    `computeMemoryUsage ${ms(d.heap?.memory_usage_ms ?? null)}`,
    d.heap?.snapshot_vs_memory_usage ? `${round(d.heap.snapshot_vs_memory_usage, 1)}x` : "",
    "<= 300 ms",
    check(results.snapshot_100k_ms === null ? null : results.snapshot_100k_ms <= 300),
  ],
  [`leaks() (nothing leaked), ${d["heap-scale"]?.live_objects ?? "600k"} objects`, ms(d["heap-scale"]?.leaks_ms ?? null), `gc() ${ms(d["heap-scale"]?.gc_ms ?? null)}`, `${round(results.leaks_600k_vs_gc, 2)}x`, "<= 3x gc()", check(results.leaks_600k_vs_gc <= 3)],
  [`leaks() (a replaced top-level function held: paths, retained size), ${d["heap-scale"]?.live_objects ?? "600k"} objects`, ms(d["heap-scale"]?.leaks_600k_function_held_ms ?? null), `gc() ${ms(d["heap-scale"]?.gc_ms ?? null)}`, `${round(d["heap-scale"]?.leaks_600k_function_held_vs_gc ?? null, 2)}x`, "(none: reads the heap, as for a retired class)", "n/a"],
  [`findInstances(Item), ${d["heap-scale"]?.live_objects ?? "600k"} objects (${d["heap-scale"]?.items ?? "300k"} found)`, ms(d["heap-scale"]?.find_instances_ms ?? null), `gc() ${ms(d["heap-scale"]?.gc_ms ?? null)}`, `${round(results.find_instances_600k_vs_gc, 2)}x`, "<= 3x gc()", check(results.find_instances_600k_vs_gc <= 3)],
  ["heap.snapshot() per VM object: time / host memory", `${round(results.snapshot_us_per_object, 3)} us / ${round(results.snapshot_host_bytes_per_object, 0)} B`, "", "", "<= 0.3 us, <= 300 B", check(results.snapshot_us_per_object <= 0.3 && results.snapshot_host_bytes_per_object <= 300)],
  [`heap.write(), ${d["heap-write"]?.live_objects ?? "2M"} objects: time / host RSS growth`, `${ms(results.heap_write_2m_ms)} / ${round(results.heap_write_2m_rss_mib, 0)} MiB`, `file ${round(d["heap-write"]?.file_mib ?? NaN, 0)} MiB`, "", "completes, RSS <= 300 B/object", check(results.heap_write_2m_ms !== null && results.heap_write_2m_rss_mib * 1024 * 1024 <= 300 * (d["heap-write"]?.live_objects ?? 2e6))],
  [`demo @snapshot pause (heap read, median of 3), ${d["heap-write"]?.snapshot_pause_live_objects ?? "1M"} objects`, ms(results.snapshot_pause_1m_ms), `first ${ms(d["heap-write"]?.snapshot_pause_first_ms ?? null)}`, "", "<= 1 s", check(results.snapshot_pause_1m_ms === null ? null : results.snapshot_pause_1m_ms <= 1000)],
  [`DevTools heap snapshot (HeapProfiler, streamed), ${d["heap-inspect"]?.live_objects ?? "1M"} objects: time / host bytes per object`, `${ms(results.inspector_snapshot_1m_ms)} / ${round(results.inspector_snapshot_1m_host_bytes_per_object, 0)} B`, `heap.write() ${ms(d["heap-inspect"]?.heap_write_ms ?? null)}`, `${round(d["heap-inspect"]?.vs_heap_write ?? NaN, 2)}x`, "streams: RSS <= 300 B/object", check(results.inspector_snapshot_1m_host_bytes_per_object === null ? null : results.inspector_snapshot_1m_host_bytes_per_object <= 300)],
  [`${results.soak_reloads} reloads: VM memory growth`, `${round(results.soak_growth_pct, 3)} %`, "", "", "<= 1 %", check(results.soak_growth_pct <= 1)],
  [`${results.soak_reloads} reloads: leaks().length`, results.soak_leaks === null ? "n/a (no leaks())" : String(results.soak_leaks), "", "", "0", check(results.soak_leaks === null ? null : results.soak_leaks === 0)],
];
const header = ["figure", "graft", "alternative", "ratio", "target", "met"];
const widths = header.map((h, i) => Math.max(h.length, ...rows.map((row) => String(row[i]).length)));
const line = (cells) => `| ${cells.map((cell, i) => String(cell).padEnd(widths[i])).join(" | ")} |`;
console.log(line(header));
console.log(`|${widths.map((w) => "-".repeat(w + 2)).join("|")}|`);
for (const row of rows) console.log(line(row));
const machine = `${os.cpus().length} x ${os.cpus()[0]?.model ?? "cpu"}, node ${process.version}, ${os.platform()}`;
console.log(`\n${machine}; whole run ${((performance.now() - started) / 1000).toFixed(1)} s${quick ? " (--quick)" : ""}`);

if (!quick) {
  writeFileSync(here("results.json"), JSON.stringify(results, null, 2) + "\n");
  writeFileSync(here("results.detail.json"), JSON.stringify({ machine, date: new Date().toISOString(), detail }, null, 2) + "\n");
  console.log("wrote bench/results.json and bench/results.detail.json");
}
