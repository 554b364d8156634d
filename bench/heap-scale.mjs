// The heap tools at game scale (issue 9):
//   heap-scale: leaks_600k_vs_gc, find_instances_600k_vs_gc, snapshot_us_per_object,
//               snapshot_host_bytes_per_object on a 600k-object heap; in its detail,
//               snapshot_3000_scripts_us_per_object on a heap of 3,000 scripts (1.2M objects)
//   heap-write: heap_write_2m_ms, heap_write_2m_rss_mib on a 2M-object heap; snapshot_pause_1m_ms,
//               the demo's @snapshot pause (the synchronous heap read) on a 1M-object heap
// Both run with --expose-gc (run.mjs passes it) so that host memory is measured after V8's own GC.
import { readFileSync, statSync, writeFileSync } from "node:fs";
import path from "node:path";
import { createRuntime } from "graft";
import { commandScripts, median, tempDir } from "./fixtures.mjs";

const WORLD = `export class Item {
  tags: string[];
  constructor(public id: number) {
    this.tags = ["item", "n" + (id % 13)];
  }
}
export const world: Item[] = [];
export function populate(count: number): number {
  for (let i = 0; i < count; i++) world.push(new Item(i));
  return world.length;
}
`;

const MiB = 1024 * 1024;

/** A runtime whose script holds `items` Items, each with a tags array: 2 GC objects an item. */
async function world(prefix, items) {
  const dir = tempDir(prefix);
  writeFileSync(path.join(dir, "world.ts"), WORLD);
  const runtime = await createRuntime({ scripts: dir, memoryLimit: 2000 * MiB, timeout: 120_000 });
  const populate = runtime.exports("world.ts").populate;
  for (let done = 0; done < items; done += 100_000) populate.invoke(Math.min(100_000, items - done)).dispose();
  populate.dispose();
  worldDirs.set(runtime, dir);
  return runtime;
}

/** Each world runtime's scripts folder. */
const worldDirs = new WeakMap();

function collectHost() {
  if (typeof globalThis.gc !== "function") throw new Error("heap bench: run with --expose-gc (bench/run.mjs does)");
  globalThis.gc();
  globalThis.gc();
}

/** Host memory the process holds: V8's heap plus ArrayBuffers and other external memory. */
function hostBytes() {
  const usage = process.memoryUsage();
  return usage.heapUsed + usage.external;
}

/**
 * The process's peak RSS while `work` runs, above its RSS when it starts. On Linux the kernel's
 * high-water mark (VmHWM) is reset first (writing 5 to /proc/self/clear_refs), so the peak is
 * this work's own; elsewhere the lifetime peak (maxRSS) is used, which misses a peak below
 * an earlier one.
 */
function peakGrowth(work) {
  let reset = false;
  try {
    writeFileSync("/proc/self/clear_refs", "5");
    reset = true;
  } catch {
    // not Linux, or not allowed
  }
  const hwm = () => (reset ? Number(/VmHWM:\s+(\d+)/.exec(readFileSync("/proc/self/status", "utf8"))?.[1]) * 1024 : process.resourceUsage().maxRSS * 1024);
  const before = process.memoryUsage().rss;
  const peakBefore = hwm();
  const result = work();
  return { result, growth: Math.max(0, hwm() - Math.max(before, reset ? 0 : peakBefore)), method: reset ? "VmHWM reset" : "maxRSS" };
}

function timed(work) {
  const started = performance.now();
  const result = work();
  return { ms: performance.now() - started, result };
}

/** peakGrowth of asynchronous work (heap.write): the peak is read once the work settled. */
async function peakGrowthAsync(work) {
  const peak = resetPeak();
  const before = process.memoryUsage().rss;
  const result = await work();
  return { result, growth: Math.max(0, peak() - before), method: "VmHWM reset" };
}

/**
 * heap.write as a host sees it: `pause_ms`, how long the call blocks (reading the heap:
 * the only time the VM and the host stop), `ms` until the file is written, and the
 * longest the event loop went without a turn while the file was written.
 */
async function writeWithPause(runtime, file) {
  const started = performance.now();
  let last = performance.now();
  let longestGap = 0;
  const pending = runtime.heap.write(file);
  const pause = performance.now() - started;
  last = performance.now();
  const ticker = setInterval(() => {
    const now = performance.now();
    longestGap = Math.max(longestGap, now - last);
    last = now;
  }, 1);
  try {
    await pending;
  } finally {
    clearInterval(ticker);
  }
  return { pause_ms: pause, ms: performance.now() - started, longest_stall_while_writing_ms: longestGap };
}

/**
 * 300k Items with a tags array each (600k GC objects and the fixture's few thousand).
 * gc(), leaks() (nothing leaked) and findInstances(Item) are interleaved in each round, so
 * that each ratio compares the same heap in the same machine state; the figure is the median
 * of the per-round ratios. findInstances returns 300k ScriptValues; disposing them is timed
 * apart (detail). snapshot(): median of 3, per VM object; its host memory is measured twice:
 * what the graph holds once made (after V8's GC), and the peak RSS growth while it is made.
 */
export async function benchHeapScale({ rounds = 7, items = 300_000, scriptSnapshots = 3 } = {}) {
  const result = await benchItems(rounds, items);
  Object.assign(result.detail, await benchManyScripts(scriptSnapshots));
  return result;
}

/**
 * snapshot() on a heap of 3,000 command scripts, one context each: ~1.2M GC objects of which
 * ~360k shapes (every context's intrinsics have their own), where the Items heap has a few.
 * Per VM object, the median of `snapshots` after one untimed (the first one counts the list).
 */
async function benchManyScripts(snapshots) {
  const runtime = await createRuntime({ scripts: commandScripts(3000), timeout: 120_000 });
  try {
    runtime.gc();
    let nodes = runtime.heap.snapshot().nodeCount;
    const times = [];
    for (let i = 0; i < snapshots; i++) {
      const { ms, result } = timed(() => runtime.heap.snapshot());
      times.push(ms);
      nodes = result.nodeCount;
    }
    const topClasses = timed(() => runtime.heap.topClasses());
    const ms = median(times);
    return { snapshot_3000_scripts_us_per_object: (ms * 1000) / nodes, snapshot_3000_scripts_ms: ms, snapshot_3000_scripts_nodes: nodes, top_classes_3000_scripts_ms: topClasses.ms };
  } finally {
    runtime.dispose();
  }
}

async function benchItems(rounds, items) {
  const runtime = await world("heap-scale", items);
  try {
    const live = runtime.gc().after;
    // The snapshot's memory first: what the graph holds, and the peak while it is made.
    collectHost();
    const heldBefore = hostBytes();
    const peak = peakGrowth(() => runtime.heap.snapshot());
    let graph = peak.result;
    collectHost();
    const held = hostBytes() - heldBefore;
    const nodes = graph.nodeCount;
    const graphBytes = graph.byteLength;
    graph = undefined;

    const snapshotTimes = [];
    for (let i = 0; i < 3; i++) {
      const { ms, result } = timed(() => runtime.heap.snapshot());
      snapshotTimes.push(ms);
      if (result.nodeCount < items * 2) throw new Error(`heap bench: the snapshot has ${result.nodeCount} nodes`);
    }
    collectHost();

    const Item = runtime.getClass("world.ts", "Item");
    const gcTimes = [];
    const leakTimes = [];
    const findTimes = [];
    const disposeTimes = [];
    const leakRatios = [];
    const findRatios = [];
    for (let round = 0; round < rounds; round++) {
      const gc = timed(() => runtime.gc());
      const leaks = timed(() => runtime.leaks());
      if (leaks.result.length !== 0) throw new Error(`heap bench: leaks() found ${leaks.result.length}`);
      const found = timed(() => runtime.findInstances(Item));
      if (found.result.length !== items) throw new Error(`heap bench: findInstances found ${found.result.length} of ${items}`);
      const disposed = timed(() => {
        for (const value of found.result) value.dispose();
      });
      gcTimes.push(gc.ms);
      leakTimes.push(leaks.ms);
      findTimes.push(found.ms);
      disposeTimes.push(disposed.ms);
      leakRatios.push(leaks.ms / gc.ms);
      findRatios.push(found.ms / gc.ms);
      collectHost();
    }
    Item.dispose();
    const functionHeld = await leaksWithFunctionHeld(runtime, rounds);
    const snapshotMs = median(snapshotTimes);
    return {
      leaks_600k_vs_gc: median(leakRatios),
      find_instances_600k_vs_gc: median(findRatios),
      snapshot_us_per_object: (snapshotMs * 1000) / nodes,
      snapshot_host_bytes_per_object: Math.max(held, peak.growth) / nodes,
      detail: {
        live_objects: live,
        items,
        snapshot_nodes: nodes,
        gc_ms: median(gcTimes),
        leaks_ms: median(leakTimes),
        find_instances_ms: median(findTimes),
        dispose_found_ms: median(disposeTimes),
        snapshot_ms: snapshotMs,
        snapshot_held_bytes_per_object: held / nodes,
        snapshot_peak_rss_bytes_per_object: peak.growth / nodes,
        peak_rss_method: peak.method,
        graph_typed_array_bytes_per_object: graphBytes / nodes,
        leaks_600k_function_held_vs_gc: functionHeld.ratio,
        leaks_600k_function_held_ms: functionHeld.ms,
      },
    };
  } finally {
    runtime.dispose();
  }
}

/**
 * leaks() with something to report on the same heap: one Item holds a top-level function of
 * a version a reload replaced, so leaks() reads the heap for its paths, retained size and
 * sole owner (dominators), as it does for a retired class. Median over rounds of leaks()/gc().
 */
async function leaksWithFunctionHeld(runtime, rounds) {
  const dir = worldDirs.get(runtime);
  const source = (n) => `import { world } from "./world";\nexport function collide(): number { return ${n}; }\nexport function hold(): void { (world[0] as any).collide = collide; }\n`;
  writeFileSync(path.join(dir, "collide.ts"), source(1));
  await runtime.reload(["collide.ts"]);
  const exports = runtime.exports("collide.ts");
  exports.hold.invoke().dispose();
  for (const value of Object.values(exports)) value.dispose();
  writeFileSync(path.join(dir, "collide.ts"), source(2));
  await runtime.reload(["collide.ts"]);
  const ratios = [];
  const times = [];
  for (let round = 0; round < Math.max(3, Math.ceil(rounds / 2)); round++) {
    const gc = timed(() => runtime.gc());
    const leaks = timed(() => runtime.leaks());
    if (leaks.result.length !== 1 || leaks.result[0].kind !== "function") throw new Error(`heap bench: leaks() found ${leaks.result.length}, not the one function held`);
    ratios.push(leaks.ms / gc.ms);
    times.push(leaks.ms);
    collectHost();
  }
  return { ratio: median(ratios), ms: median(times) };
}

/**
 * 1M Items (2M GC objects): heap.write(file) as the wizard's @snapshot calls it (read the
 * heap, stream the file). Host RSS growth is the process's peak RSS during the write above
 * its RSS just before it (the VM's own memory is already resident then). That the file is
 * well-formed and its retained sizes agree with graft's is a test
 * (test/heap-write-dominators.test.ts), not timed here.
 */
export async function benchHeapWrite({ items = 1_000_000 } = {}) {
  const runtime = await world("heap-write", items);
  const file = path.join(tempDir("heap-write-file"), "world.heapsnapshot");
  let written;
  try {
    const live = runtime.gc().after;
    collectHost();
    const rssBefore = process.memoryUsage().rss;
    const peak = await peakGrowthAsync(() => writeWithPause(runtime, file));
    const { ms, pause_ms, longest_stall_while_writing_ms } = peak.result;
    const detail = {
      live_objects: live,
      file_mib: statSync(file).size / MiB,
      rss_before_mib: rssBefore / MiB,
      peak_rss_method: peak.method,
      rss_bytes_per_object: peak.growth / live,
      // issue 20: the demo's @snapshot pauses the game only while the heap is read
      pause_ms,
      pause_share_of_write: pause_ms / ms,
      longest_stall_while_writing_ms,
    };
    written = { heap_write_2m_ms: ms, heap_write_2m_rss_mib: peak.growth / MiB, heap_write_2m_pause_ms: pause_ms, detail };
  } finally {
    runtime.dispose();
  }
  const pause = await snapshotPause(Math.round(items / 2));
  Object.assign(written.detail, { snapshot_pause_live_objects: pause.live, snapshot_pause_first_ms: pause.first, snapshot_pause_rounds_ms: pause.all });
  return { ...written, snapshot_pause_1m_ms: pause.ms };
}

/**
 * Issue 20: how long the demo's @snapshot stops the game on a world of `items` Items (2 GC
 * objects each): heap.write()'s synchronous part, the heap read, timed as @snapshot times it;
 * each write is then aborted (its file removed) so that only the pause costs. Median of
 * `rounds` (the first, whose read sizes its arrays by counting, is in `first`).
 */
export async function snapshotPause(items, rounds = 3) {
  const runtime = await world("snapshot-pause", items);
  const file = path.join(tempDir("snapshot-pause-file"), "world.heapsnapshot");
  try {
    const live = runtime.gc().after;
    const all = [];
    for (let round = 0; round < rounds; round++) {
      collectHost();
      const controller = new AbortController();
      const started = performance.now();
      const pending = runtime.heap.write(file, { signal: controller.signal });
      all.push(performance.now() - started);
      controller.abort(new Error("measured"));
      await pending.catch(() => {});
    }
    return { live, ms: median(all), first: all[0], all };
  } finally {
    runtime.dispose();
  }
}

/**
 * The DevTools path of a heap snapshot (issue 22): a 1M-object world (500k Items) streamed to a
 * WebSocket client as HeapProfiler.addHeapSnapshotChunk events, as the Memory tab receives it:
 * time from the request to its answer, and the process's peak RSS growth meanwhile, per object
 * (the client is in this process too: its received pieces count). heap.write() of the same heap
 * is measured after it, in the same run, for comparison.
 */
export async function benchHeapInspect({ items = 500_000 } = {}) {
  const { WebSocket } = await import("ws");
  const runtime = await world("heap-inspect", items);
  const inspector = await runtime.inspect({ port: 0 });
  const file = path.join(tempDir("heap-inspect-file"), "world.heapsnapshot");
  try {
    const socket = new WebSocket(inspector.url, { maxPayload: 1 << 30 });
    await new Promise((resolve, reject) => (socket.once("open", resolve), socket.once("error", reject)));
    let id = 0;
    /** One snapshot over the socket; with `sample`, V8 collects at each chunk and the live host memory is sampled. */
    const snapshot = (sample) => {
      let json = 0;
      let chunks = 0;
      let liveMax = 0;
      const request = ++id;
      return new Promise((resolve) => {
        const onMessage = (data) => {
          if (data.length < 200 && data.toString().startsWith(`{"id":${request},`)) {
            socket.off("message", onMessage);
            return resolve({ reply: data.toString(), json, chunks, liveMax });
          }
          json += data.length;
          chunks++;
          if (sample) {
            globalThis.gc();
            liveMax = Math.max(liveMax, hostBytes());
          }
        };
        socket.on("message", onMessage);
        socket.send(JSON.stringify({ id: request, method: "HeapProfiler.takeHeapSnapshot", params: { reportProgress: true } }));
      });
    };
    const live = runtime.gc().after;
    collectHost();
    const hwm = resetPeak();
    const rssBefore = process.memoryUsage().rss;
    const started = performance.now();
    const { reply, json, chunks } = await snapshot(false);
    const ms = performance.now() - started;
    const growth = Math.max(0, hwm() - rssBefore);
    if (reply.includes('"error"')) throw new Error(`heap-inspect: the snapshot failed: ${reply}`);
    // Live host memory while streaming (garbage collected at each chunk): the heap graph and a piece or two, never the JSON.
    collectHost();
    const liveBefore = hostBytes();
    const sampled = await snapshot(true);
    socket.close();
    collectHost();
    const write = await peakGrowthAsync(() => writeWithPause(runtime, file));
    const detail = {
      live_objects: live,
      chunks,
      json_mib: json / MiB,
      peak_rss_growth_mib: growth / MiB,
      live_host_growth_max_mib: (sampled.liveMax - liveBefore) / MiB,
      live_host_bytes_per_object: (sampled.liveMax - liveBefore) / live,
      heap_write_ms: write.result.ms,
      heap_write_rss_bytes_per_object: write.growth / live,
      vs_heap_write: ms / write.result.ms,
    };
    return { inspector_snapshot_1m_ms: ms, inspector_snapshot_1m_host_bytes_per_object: growth / live, detail };
  } finally {
    await inspector.close();
    runtime.dispose();
  }
}

/** Resets the kernel's peak-RSS mark (Linux); returns a reader of the peak since. */
function resetPeak() {
  let reset = false;
  try {
    writeFileSync("/proc/self/clear_refs", "5");
    reset = true;
  } catch {
    // not Linux, or not allowed: the lifetime peak
  }
  return () => (reset ? Number(/VmHWM:\s+(\d+)/.exec(readFileSync("/proc/self/status", "utf8"))?.[1]) * 1024 : process.resourceUsage().maxRSS * 1024);
}
