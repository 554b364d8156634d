import { mkdirSync, rmSync, unlinkSync, writeFileSync } from "node:fs";
import { open } from "node:fs/promises";
import path from "node:path";
import { describe, expect, it, vi } from "vitest";
import type { ReloadError, ReloadReport } from "../host-api/index.js";
import { runtimeFor, scriptsFolder, waitFor } from "./helpers.js";
import { ScriptWatcher } from "../runtime/files/watcher.js";

function collect(runtime: { on(event: "reload", listener: (report: ReloadReport) => void): () => void }): ReloadReport[] {
  const reports: ReloadReport[] = [];
  runtime.on("reload", (report) => reports.push(report));
  return reports;
}

describe("R2 watch", () => {
  it("picks up edits, new files, deletions and renames", async () => {
    const folder = await scriptsFolder({ "base.ts": `export class Cmd {}`, "a.ts": `import { Cmd } from "./base"; export class A extends Cmd { v() { return 1; } }` });
    const runtime = await runtimeFor(folder, { watch: true });
    const reports = collect(runtime);
    const a = runtime.getClass("a.ts", "A").new();

    await folder.write("a.ts", `import { Cmd } from "./base"; export class A extends Cmd { v() { return 2; } }`);
    await waitFor(() => a.call("v").toHost() === 2);

    await folder.write("sub/new.ts", `import { Cmd } from "../base"; export class Fresh extends Cmd {}`);
    await waitFor(() => runtime.files().includes("sub/new.ts"));
    expect(runtime.findSubclasses("base.ts#Cmd").map((c) => c.name)).toEqual(["A", "Fresh"]);

    await folder.rename("sub/new.ts", "sub/renamed.ts");
    await waitFor(() => runtime.files().includes("sub/renamed.ts") && !runtime.files().includes("sub/new.ts"));
    expect(runtime.findSubclasses("base.ts#Cmd").map((c) => c.name)).toEqual(["A", "Fresh"]);
    expect(runtime.findSubclasses("base.ts#Cmd")[1]!.file).toBe("sub/renamed.ts");

    await folder.remove("a.ts");
    await waitFor(() => !runtime.files().includes("a.ts"));
    expect(runtime.findSubclasses("base.ts#Cmd").map((c) => c.name)).toEqual(["Fresh"]);
    expect(reports.every((report) => report.errors.length === 0)).toBe(true);
  });

  it("a folder deleted and made again under the same name, then moved: its scripts load where they are, and later saves there reload", async () => {
    const folder = await scriptsFolder({ "sub/a.ts": `export const a = 1;`, "b.ts": `export const b = 1;` });
    const runtime = await runtimeFor(folder, { watch: true });
    const reports = collect(runtime);
    const sub = path.join(folder.root, "sub");
    // In one go, as a checkout does it.
    rmSync(sub, { recursive: true });
    mkdirSync(sub);
    writeFileSync(path.join(sub, "a.ts"), `export const a = 2;`);
    await waitFor(() => runtime.files().includes("sub/a.ts") && runtime.exports("sub/a.ts").a!.toHost() === 2, 10_000, "the new folder's script");
    const watched = (runtime as unknown as { watched: { settled: boolean } }).watched;
    await waitFor(() => watched.settled, 10_000, "the watcher to settle");
    // The new folder is watched, not the deleted one (its inode may well be the same).
    await folder.write("sub/a.ts", `export const a = 3;`);
    await waitFor(() => runtime.exports("sub/a.ts").a!.toHost() === 3, 10_000, "a save in the new folder");
    await folder.rename("sub", "moved");
    await waitFor(() => runtime.files().includes("moved/a.ts") && !runtime.files().includes("sub/a.ts"), 10_000, "the moved folder's script");
    await waitFor(() => watched.settled, 10_000, "the watcher to settle");
    await folder.write("moved/a.ts", `export const a = 4;`);
    await waitFor(() => runtime.exports("moved/a.ts").a!.toHost() === 4, 10_000, "a save in the moved folder");
    expect(runtime.files().sort()).toEqual(["b.ts", "moved/a.ts"]);
    expect(reports.every((report) => report.errors.length === 0)).toBe(true);
  });

  it("deleting the base-class file and restoring it (a git round trip) relinks every subclass", async () => {
    const base = `export class Cmd { run() { return "run " + this.constructor.name; } }`;
    const folder = await scriptsFolder({ "base.ts": base, "a.ts": `import { Cmd } from "./base"; export class A extends Cmd {}` });
    const runtime = await runtimeFor(folder, { watch: true });
    const reports = collect(runtime);
    const a = runtime.getClass("a.ts", "A").new();
    await folder.remove("base.ts");
    await waitFor(() => !runtime.files().includes("base.ts"), 5000, "base.ts to be removed");
    expect(runtime.failures().map((failure) => [failure.file, failure.running])).toEqual([["a.ts", true]]);
    await folder.write("base.ts", base);
    await waitFor(() => runtime.files().includes("base.ts") && runtime.failures().length === 0, 5000, "base.ts to be restored");
    expect(runtime.findSubclasses("base.ts#Cmd").map((c) => c.name)).toEqual(["A"]);
    expect(a.instanceOf(runtime.getClass("base.ts", "Cmd"))).toBe(true);
    expect(a.call("run").toHost()).toBe("run A");
    const restored = reports.find((report) => report.files.includes("base.ts"))!;
    expect(restored.rerun).toEqual(["a.ts"]);
    expect(reports.every((report) => report.errors.length === 0)).toBe(true);
  });

  it("an editor's atomic save (temp file + rename) gives one reload", async () => {
    const folder = await scriptsFolder({ "a.ts": `export const v = 1;` });
    const runtime = await runtimeFor(folder, { watch: true });
    const reports = collect(runtime);
    await folder.atomicWrite("a.ts", `export const v = 2;`);
    await waitFor(() => runtime.exports("a.ts").v!.toHost() === 2);
    // A later change, waited for: any second reload of the save would have come before it.
    await folder.write("marker.ts", `export const m = 1;`);
    await waitFor(() => reports.some((report) => report.files.includes("marker.ts")), 10_000, "the marker's reload");
    expect(reports.filter((report) => report.files.includes("a.ts"))).toHaveLength(1);
    expect(reports.every((report) => report.errors.length === 0)).toBe(true);
  });

  it("a batch of changes (a checkout) reloads in dependency order as one transaction", async () => {
    const folder = await scriptsFolder({
      "base.ts": `export class Base { tag() { return "b1"; } }`,
      "mid.ts": `import { Base } from "./base"; export class Mid extends Base { tag() { return "m1+" + super.tag(); } }`,
      "top.ts": `import { Mid } from "./mid"; export class Top extends Mid { tag() { return "t1+" + super.tag(); } }`,
    });
    // A wide debounce: the three writes must land in one batch even on a loaded machine.
    const runtime = await runtimeFor(folder, { watch: true, debounce: 80 });
    const reports = collect(runtime);
    const top = runtime.getClass("top.ts", "Top").new();
    await Promise.all([
      folder.write("top.ts", `import { Mid } from "./mid"; export class Top extends Mid { tag() { return "t2+" + super.tag(); } }`),
      folder.write("base.ts", `export class Base { tag() { return "b2"; } }`),
      folder.write("mid.ts", `import { Base } from "./base"; export class Mid extends Base { tag() { return "m2+" + super.tag(); } }`),
    ]);
    await waitFor(() => top.call("tag").toHost() === "t2+m2+b2");
    const applied = reports.filter((report) => report.files.length > 0);
    expect(applied).toHaveLength(1);
    expect(applied[0]!.files).toEqual(["base.ts", "mid.ts", "top.ts"]);
  });

  it("a broken save is reported with file:line and the old version keeps running", async () => {
    const folder = await scriptsFolder({ "a.ts": `export const v = 1;` });
    const runtime = await runtimeFor(folder, { watch: true });
    const errors: string[] = [];
    runtime.on("error", (error) => errors.push(error.text));
    await folder.write("a.ts", `export const v = 2;\nexport const w = ;\n`);
    await waitFor(() => errors.length > 0);
    expect(errors[0]).toMatch(/^a\.ts:2:\d+: syntax error/);
    expect(runtime.exports("a.ts").v!.toHost()).toBe(1);
  });

  it("ignores editor temp files, dot-folders and node_modules", async () => {
    const folder = await scriptsFolder({ "a.ts": `export const v = 1;` });
    const runtime = await runtimeFor(folder, { watch: true });
    const reports = collect(runtime);
    await folder.write(".hidden/x.ts", `export const x = 1;`);
    await folder.write("node_modules/y.ts", `export const y = 1;`);
    await folder.write("a.ts.swp", `garbage`);
    await folder.write("a.ts~", `garbage`);
    await folder.write("a.d.ts", `export declare const d: number;`);
    // The proof that the watcher is live (a watcher that ignored every event passed this
    // test before): a script written after them is picked up, and it alone.
    await folder.write("b.ts", `export const b = 1;`);
    await waitFor(() => reports.some((report) => report.files.includes("b.ts")), 10_000, "b.ts's reload");
    expect(reports.flatMap((report) => report.files)).toEqual(["b.ts"]);
    expect(runtime.files().sort()).toEqual(["a.ts", "b.ts"]);
  });

  it("at start-up too: dot-folders, node_modules, dot-files ending in .ts (an editor's lock or swap file) and .d.ts are not scripts", async () => {
    const folder = await scriptsFolder({
      "a.ts": `export const v = 1;`,
      ".hidden/x.ts": `export const x = 1;`,
      "node_modules/y.ts": `export const y = 1;`,
      ".#a.ts": `garbage (`,
      "sub/.a.ts": `garbage (`,
      "a.d.ts": `export declare const d: number;`,
    });
    const runtime = await runtimeFor(folder);
    expect(runtime.initialReport.errors).toEqual([]);
    expect(runtime.files()).toEqual(["a.ts"]);
  });
});

describe("a file replaced by a folder of the same name, and back (issue 24 row 9)", () => {
  it("ends as a fresh load both ways", async () => {
    const folder = await scriptsFolder({ "models.ts": "export const m = 1;", "other.ts": "export const o = 1;" });
    const runtime = await runtimeFor(folder, { watch: true });
    // In one go, as a checkout does it: the folder is found and listed where the file was.
    unlinkSync(path.join(folder.root, "models.ts"));
    mkdirSync(path.join(folder.root, "models.ts"));
    writeFileSync(path.join(folder.root, "models.ts/player.ts"), "export const p = 2;");
    await waitFor(() => runtime.files().includes("models.ts/player.ts") && !runtime.files().includes("models.ts"), 10_000, "the folder's script to load");
    expect(runtime.files().sort()).toEqual(["models.ts/player.ts", "other.ts"]);
    expect(runtime.exports("models.ts/player.ts").p!.toHost()).toBe(2);
    rmSync(path.join(folder.root, "models.ts"), { recursive: true });
    writeFileSync(path.join(folder.root, "models.ts"), "export const m = 3;");
    await waitFor(() => runtime.files().includes("models.ts") && !runtime.files().includes("models.ts/player.ts"), 10_000, "the file to load and the folder's script to go");
    expect(runtime.files().sort()).toEqual(["models.ts", "other.ts"]);
    expect(runtime.exports("models.ts").m!.toHost()).toBe(3);
  });
});

describe("watcher failures reach the host as events", () => {
  /** Node's watch of the scripts folder behind a runtime's watcher (private: its failures cannot be provoked from outside). */
  function fileWatcher(runtime: object): { emit(event: string, error: unknown): void } {
    const watches = (runtime as unknown as { watched: { watcher: { folderEvents: { watches: Map<string, { watcher: { emit(event: string, error: unknown): void } }> } } } }).watched.watcher.folderEvents.watches;
    return watches.get("")!.watcher;
  }

  it("the watcher failing is an 'error' event (origin 'watcher'), and onError is told", async () => {
    const folder = await scriptsFolder({ "a.ts": `export const v = 1;` });
    const told: ReloadError[] = [];
    const runtime = await runtimeFor(folder, { watch: true, onError: (error) => told.push(error) });
    const errors: ReloadError[] = [];
    runtime.on("error", (error) => errors.push(error));
    const printed = vi.spyOn(console, "error").mockImplementation(() => {});
    try {
      fileWatcher(runtime).emit("error", Object.assign(new Error("EMFILE: too many open files, watch"), { path: `${folder.root}/commands` }));
      expect(printed).not.toHaveBeenCalled();
    } finally {
      printed.mockRestore();
    }
    expect(errors).toEqual([expect.objectContaining({ origin: "watcher", file: "commands", message: expect.stringContaining("EMFILE: too many open files") })]);
    expect(errors[0]!.text).toContain("call runtime.reload() after a save");
    expect(told).toEqual(errors);
  });

  it("a reload the watcher started that fails as a whole is an 'error' event (origin 'reload'); stderr only when nobody listens", async () => {
    const folder = await scriptsFolder({ "a.ts": `export const v = 1;` });
    const runtime = await runtimeFor(folder, { watch: true });
    const engine = (runtime as unknown as { engine: { reload(files?: string[]): Promise<ReloadReport> } }).engine;
    engine.reload = () => Promise.reject(new Error("the disk went away"));
    const printed = vi.spyOn(console, "error").mockImplementation(() => {});
    try {
      await folder.write("a.ts", `export const v = 2;`);
      await waitFor(() => printed.mock.calls.length > 0, 5000, "the failure on stderr");
      expect(String(printed.mock.calls[0]![0])).toContain("reloading a.ts after a save failed: the disk went away");

      const errors: ReloadError[] = [];
      runtime.on("error", (error) => errors.push(error));
      printed.mockClear();
      await folder.write("a.ts", `export const v = 3;`);
      await waitFor(() => errors.length > 0, 5000, "the 'error' event");
      expect(errors[0]).toMatchObject({ origin: "reload", file: "a.ts", message: "reloading a.ts after a save failed: the disk went away" });
      expect(printed).not.toHaveBeenCalled();
    } finally {
      printed.mockRestore();
    }
  });

  it("a lone save is handed over as it is seen (no debounce); a second file close behind gathers the rest into one batch", async () => {
    const batches: string[][] = [];
    const watcher = new ScriptWatcher("/nonexistent", 0, (files) => batches.push(files), () => [], () => undefined);
    const add = (files: string[]): void => (watcher as unknown as { add(files: string[]): void }).add(files);
    add(["a.ts"]);
    // Synchronously: no timer stands between the save and its reload.
    expect(batches).toEqual([["a.ts"]]);
    add(["b.ts"]);
    add(["c.ts"]);
    expect(batches).toEqual([["a.ts"]]);
    expect(watcher.gathering).toBe(true);
    await waitFor(() => batches.length === 2, 5000, "the burst's batch");
    expect(batches[1]).toEqual(["b.ts", "c.ts"]);
    await watcher.close();
  });
});

describe("a save seen through the OS's first event (issue 18: nothing waits on the latency path)", () => {
  it("a save is handed over from the OS's own event, before its write settled, in a folder made while watching too", async () => {
    const folder = await scriptsFolder({ "a.ts": `export const a = 1;` });
    const batches: { files: string[]; midWrite: string[] }[] = [];
    const watcher = new ScriptWatcher(folder.root, 0, (files, midWrite) => batches.push({ files, midWrite: [...midWrite] }), () => [], () => undefined);
    // Files the watcher is told of by an OS event, before their write settled (whatever batch they end up in).
    const seenMidWrite: string[] = [];
    const internals = watcher as unknown as { add(files: string[], midWrite?: boolean): void; folderEvents: { watches: Map<string, unknown> } };
    const add = internals.add.bind(watcher);
    internals.add = (files, midWrite = false) => {
      if (midWrite) seenMidWrite.push(...files);
      add(files, midWrite);
    };
    await watcher.start();
    try {
      await folder.write("a.ts", `export const a = 2;`);
      await waitFor(() => batches.length > 0, 5000, "a.ts's first batch");
      expect(batches[0]).toEqual({ files: ["a.ts"], midWrite: ["a.ts"] });
      await folder.write("sub/b.ts", `export const b = 1;`);
      // The new folder is watched as it is found.
      await waitFor(() => internals.folderEvents.watches.has("sub"), 5000, "the new folder watched");
      seenMidWrite.length = 0;
      await folder.write("sub/b.ts", `export const b = 2;`);
      await waitFor(() => seenMidWrite.includes("sub/b.ts"), 5000, "sub/b.ts seen through the OS's event");
    } finally {
      await watcher.close();
    }
  });

  it("saves one right after another, each truncating and writing the file: the last one is live, and no empty or half text was applied", async () => {
    const folder = await scriptsFolder({ "a.ts": `export class A { v() { return 0; } }\n` });
    const runtime = await runtimeFor(folder, { watch: true });
    const reports = collect(runtime);
    const a = runtime.getClass("a.ts", "A").new();
    for (let n = 1; n <= 40; n++) await folder.write("a.ts", `export class A { v() { return ${n}; } }\n// ${"padding ".repeat(n * 20)}\n`);
    await waitFor(() => a.call("v").toHost() === 40, 10_000, "the last save to be live");
    expect(reports.flatMap((report) => report.retired)).toEqual([]);
    expect(reports.flatMap((report) => report.errors)).toEqual([]);
  });

  it("a save whose write comes long after its truncation (a writer waiting for a CPU) is applied whole; the empty file never is", async () => {
    const folder = await scriptsFolder({ "a.ts": `export class A { v() { return 1; } }\n` });
    const runtime = await runtimeFor(folder, { watch: true });
    const reports = collect(runtime);
    const a = runtime.getClass("a.ts", "A").new();
    const file = path.join(folder.root, "a.ts");
    const handle = await open(file, "w"); // the truncation
    await new Promise((resolve) => setTimeout(resolve, 150)); // the writer's thread waits
    await handle.writeFile(`export class A { v() { return 2; } }\n`);
    await handle.close();
    await waitFor(() => a.call("v").toHost() === 2, 10_000, "the save to be live on the instance made before it");
    expect(reports.flatMap((report) => report.retired)).toEqual([]);
  });

  it("a file read as empty mid-write is left for the write's own event: no pause, nothing retired", async () => {
    const folder = await scriptsFolder({ "a.ts": `export class A { v() { return 1; } }` });
    const runtime = await runtimeFor(folder);
    const engine = (runtime as unknown as { engine: { reload(files: string[], options: { midWrite: Set<string> }): Promise<ReloadReport> } }).engine;
    await folder.write("a.ts", "");
    // Read once, found empty: a truncated save whose text has not landed yet. (Read again 3 ms
    // apart, as a reload() call does, it would still be empty here and retire A.)
    const report = await engine.reload(["a.ts"], { midWrite: new Set(["a.ts"]) });
    expect(report.files).toEqual([]);
    expect(report.retired).toEqual([]);
    expect(runtime.getClass("a.ts", "A").new().call("v").toHost()).toBe(1);
    await folder.write("a.ts", `export class A { v() { return 2; } }`);
    const applied = await engine.reload(["a.ts"], { midWrite: new Set(["a.ts"]) });
    expect(applied.files).toEqual(["a.ts"]);
    expect(runtime.getClass("a.ts", "A").new().call("v").toHost()).toBe(2);
  });

  it("a file really emptied under watch is applied once its write settles (its classes retired)", async () => {
    const folder = await scriptsFolder({ "a.ts": `export class A { v() { return 1; } }`, "b.ts": `export const b = 1;` });
    const runtime = await runtimeFor(folder, { watch: true });
    const reports = collect(runtime);
    await folder.write("a.ts", "");
    // Empty at its event, it waits for the write that usually follows; none comes, so it is
    // handed over settled, read the careful way and applied.
    await waitFor(() => reports.some((report) => report.retired.some((retired) => retired.name === "A")), 5000, "A to be retired");
    expect(runtime.files()).toContain("a.ts");
    expect(runtime.exports("a.ts")).toEqual({});
  });

  it("batches handed over while a watcher reload runs make one reload after it, not one each", async () => {
    const { WatchedReloads } = await import("../host-api/watched-reloads.js");
    const calls: { files: string[]; midWrite: string[]; finish: () => void }[] = [];
    const empty: ReloadReport = { ok: true, files: [], rerun: [], removed: [], recovered: [], patched: [], retired: [], errors: [], durationMs: 0 };
    const watched = new WatchedReloads({
      root: "/nonexistent",
      debounceMs: 0,
      errorDelayMs: 0,
      reload: (files, midWrite) => new Promise((resolve) => calls.push({ files, midWrite: [...midWrite], finish: () => resolve(empty) })),
      failures: () => [],
      loadedUnder: () => [],
      announce: () => undefined,
      reportUnprompted: () => undefined,
      isDisposed: () => false,
    });
    const handOver = (files: string[], midWrite: string[]): void => (watched as unknown as { handOver(files: string[], midWrite: Set<string>): void }).handOver(files, new Set(midWrite));
    handOver(["a.ts"], ["a.ts"]);
    expect(calls.map((call) => call.files)).toEqual([["a.ts"]]);
    expect(calls[0]!.midWrite).toEqual(["a.ts"]);
    // A save's further OS events, a settled sighting of it, and another file, all while it runs.
    handOver(["a.ts"], ["a.ts"]);
    handOver(["a.ts"], []);
    handOver(["b.ts"], ["b.ts"]);
    expect(calls).toHaveLength(1);
    expect(watched.settled).toBe(false);
    calls[0]!.finish();
    await waitFor(() => calls.length === 2, 5000, "the follow-up reload");
    expect(calls[1]!.files).toEqual(["a.ts", "b.ts"]);
    // a.ts was also seen settled: read as it is; b.ts only mid-write.
    expect(calls[1]!.midWrite).toEqual(["b.ts"]);
    calls[1]!.finish();
    await waitFor(() => watched.settled, 5000, "the watcher to settle");
    expect(calls).toHaveLength(2);
    await watched.close();
  });
});
