import { describe, expect, it } from "vitest";
import { ScriptError, GraftError, createRuntime } from "../host-api/index.js";
import { runtimeFor, scriptsFolder } from "./helpers.js";

const WORKING = `export class Box { hello() { return "ok"; } }`;

async function brokenReload(source: string | Buffer, options = {}) {
  const folder = await scriptsFolder({ "box.ts": WORKING });
  const runtime = await runtimeFor(folder, { timeout: 200, memoryLimit: 32 << 20, ...options });
  const box = runtime.getClass("box.ts", "Box").new();
  await folder.write("box.ts", source);
  const report = await runtime.reload(["box.ts"]);
  // the runtime keeps serving, with the old version
  expect(box.call("hello").toHost()).toBe("ok");
  expect(runtime.getClass("box.ts", "Box").new().call("hello").toHost()).toBe("ok");
  return { report, runtime, folder };
}

describe("bad input: every failure is a clear error and loses nothing", () => {
  it("infinite loop at top level is interrupted at the timeout", async () => {
    const { report } = await brokenReload(`export class Box { hello() { return "new"; } }\nwhile (true) {}\n`);
    expect(report.errors[0]!.message).toMatch(/timed out: the script ran longer than 200 ms/);
    // QuickJS checks for interrupts on loop back-edges, which carry no line of their own:
    // the position is the nearest one it recorded, in the right file.
    expect(report.errors[0]!.position?.file).toBe("box.ts");
  });

  it("infinite loop in a method throws ScriptError at the timeout and the runtime keeps working", async () => {
    const folder = await scriptsFolder({ "spin.ts": `export class Spin {\n  forever() {\n    for (;;) {}\n  }\n  ok() { return 1; }\n}` });
    const runtime = await runtimeFor(folder, { timeout: 100 });
    const spin = runtime.getClass("spin.ts", "Spin").new();
    expect(() => spin.call("forever")).toThrow(ScriptError);
    try {
      spin.call("forever");
    } catch (error) {
      expect((error as ScriptError).message).toMatch(/timed out: the script ran longer than 100 ms.*spin\.ts:[23]:/);
    }
    expect(spin.call("ok").toHost()).toBe(1);
  });

  it("unbounded recursion gives a RangeError naming the line", async () => {
    const { report } = await brokenReload(`function down(n: number): number { return down(n + 1) + 1; }\ndown(0);\nexport class Box {}`);
    expect(report.errors[0]!.message).toMatch(/stack|recursion/i);
    expect(report.errors[0]!.position).toMatchObject({ file: "box.ts", line: 1 });
  });

  it("a memory bomb hits memoryLimit and is reported as out of memory", async () => {
    // A budget the bomb cannot outlast before it fills 32 MiB (past the deadline it would be stopped as timed out).
    const { report, runtime } = await brokenReload(`const hoard: string[][] = [];\nwhile (true) hoard.push(new Array(100000).fill("x"));\nexport class Box {}`, { timeout: 20_000 });
    expect(report.errors[0]!.message).toMatch(/out of memory/);
    runtime.gc();
  });

  it("a missing import names the importing line", async () => {
    const { report } = await brokenReload(`\nimport { Nope } from "./nowhere";\nexport class Box { hello() { return Nope; } }`);
    expect(report.errors[0]!.message).toContain("cannot find './nowhere'");
    expect(report.errors[0]!.position).toMatchObject({ file: "box.ts", line: 2 });
  });

  it("importing Node modules is refused", async () => {
    const { report } = await brokenReload(`import fs from "fs";\nexport class Box { hello() { return fs.readFileSync("x"); } }`);
    expect(report.errors[0]!.message).toMatch(/'fs' cannot be imported/);
  });

  it("a bare specifier is refused even where a script of that name exists (only relative paths name scripts)", async () => {
    const folder = await scriptsFolder({ "fs.ts": `export default { readFileSync: () => "fake" };`, "box.ts": `export const ok = 1;` });
    const runtime = await runtimeFor(folder);
    await folder.write("box.ts", `import fs from "fs";\nexport const ok = fs.readFileSync();`);
    const report = await runtime.reload(["box.ts"]);
    expect(report.errors[0]!.message).toMatch(/'fs' cannot be imported/);
    expect(runtime.exports("box.ts").ok!.toHost()).toBe(1);
  });

  it("binary and non-UTF-8 files are refused", async () => {
    const binary = await brokenReload(Buffer.from([0x65, 0x78, 0x00, 0xff, 0x10]));
    expect(binary.report.errors[0]!.message).toMatch(/binary file/);
    const latin1 = await brokenReload(Buffer.from("export const caf\xe9 = 1;", "latin1"));
    expect(latin1.report.errors[0]!.message).toMatch(/not valid UTF-8/);
  });

  it("huge files are refused", async () => {
    const { report } = await brokenReload("// " + "x".repeat(3 * 1024 * 1024));
    expect(report.errors[0]!.message).toMatch(/MiB limit/);
  });

  it("a file deleted mid-reload is treated as a deletion, not a crash", async () => {
    const folder = await scriptsFolder({ "a.ts": WORKING });
    const runtime = await runtimeFor(folder);
    await folder.remove("a.ts");
    const report = await runtime.reload(["a.ts"]);
    expect(report.errors).toEqual([]);
    expect(report.removed).toEqual(["a.ts"]);
    // A path that was never loaded and is not on disk is a typo, not a deletion.
    await expect(runtime.reload(["never-existed.ts"])).rejects.toThrow(/'never-existed\.ts' is not on disk/);
  });

  it("wrong argument types from the host get clear errors", async () => {
    const folder = await scriptsFolder({ "a.ts": `export class A { take(x) { return typeof x; } }` });
    const runtime = await runtimeFor(folder);
    const a = runtime.getClass("a.ts", "A").new();
    expect(() => a.call("take", new Map())).toThrow(/cannot pass argument 1 of take\(\) \(a Map\)/);
    const cyclic: Record<string, unknown> = {};
    cyclic.self = cyclic;
    expect(() => a.call("take", cyclic)).toThrow(/cycle/);
    expect(() => a.call("missing")).toThrow(/missing is not a function/);
    expect(() => runtime.getClass("a.ts", "Nope")).toThrow(GraftError);
    expect(() => runtime.getClass("zzz.ts", "A")).toThrow(/no script 'zzz.ts'/);
    expect(a.call("take", { deep: [1, "two", null] }).toHost()).toBe("object");
    await expect(createRuntime({ scripts: "/definitely/not/here" })).rejects.toThrow(/does not exist/);
    await expect(createRuntime({ scripts: folder.root, timeout: -1 })).rejects.toThrow(/positive number/);
  });

  it("errors from host functions reach scripts as JS errors", async () => {
    const folder = await scriptsFolder({ "a.ts": `import { boom } from "host"; export function tryIt() { try { boom(); return "no"; } catch (e) { return "caught " + e.message; } }` });
    const runtime = await runtimeFor(folder, { host: { boom: () => { throw new Error("host says no"); } } });
    expect(runtime.exports("a.ts").tryIt!.invoke().toHost()).toBe("caught host says no");
  });

  it("a file that failed at start loads once it is fixed, with the files waiting on it", async () => {
    const folder = await scriptsFolder({ "a.ts": `export const x = ;`, "b.ts": `import { x } from "./a"; export const y = () => x;` });
    const runtime = await runtimeFor(folder);
    expect(runtime.files()).toEqual([]);
    expect(runtime.failures().map((f) => f.file).sort()).toEqual(["a.ts", "b.ts"]);
    await folder.write("a.ts", `export const x = 5;`);
    const report = await runtime.reload(["a.ts"]);
    expect(report.errors).toEqual([]);
    expect(runtime.files()).toEqual(["a.ts", "b.ts"]);
    expect(runtime.exports("b.ts").y!.invoke().toHost()).toBe(5);
  });

  it("a hundred saves a second settle on the last version", async () => {
    const folder = await scriptsFolder({ "a.ts": `export const n = 0;` });
    const runtime = await runtimeFor(folder);
    const reloads: Promise<unknown>[] = [];
    for (let i = 1; i <= 100; i++) {
      await folder.write("a.ts", i % 10 === 5 ? `export const n = ;` : `export const n = ${i};`);
      reloads.push(runtime.reload(["a.ts"]));
    }
    await Promise.all(reloads);
    expect(runtime.exports("a.ts").n!.toHost()).toBe(100);
  });
});

describe("split batches converge", () => {
  it("a script that failed at start for a missing import loads when that file appears", async () => {
    const folder = await scriptsFolder({ "b.ts": `import { c } from "./c"; export const value = () => "b " + c;` });
    const runtime = await runtimeFor(folder);
    expect(runtime.files()).toEqual([]);
    await folder.write("c.ts", `export const c = "c";`);
    const report = await runtime.reload(["c.ts"]);
    expect(report.files).toEqual(["c.ts", "b.ts"]);
    expect(runtime.exports("b.ts").value!.invoke().toHost()).toBe("b c");
  });


  it("an edit that failed for want of a new file applies once that file arrives", async () => {
    const folder = await scriptsFolder({ "b.ts": `export const value = () => "old";` });
    const runtime = await runtimeFor(folder);
    await folder.write("b.ts", `import { c } from "./c"; export const value = () => "new " + c;`);
    const first = await runtime.reload(["b.ts"]);
    expect(first.errors[0]!.message).toContain("cannot find './c'");
    expect(runtime.exports("b.ts").value!.invoke().toHost()).toBe("old");
    await folder.write("c.ts", `export const c = "c";`);
    const second = await runtime.reload(["c.ts"]);
    expect(second.errors).toEqual([]);
    expect(second.files).toEqual(["c.ts", "b.ts"]);
    expect(runtime.exports("b.ts").value!.invoke().toHost()).toBe("new c");
  });
});

describe("saves caught mid-write", () => {
  it("a script that reads as empty is read again before its classes are retired", async () => {
    const folder = await scriptsFolder({ "a.ts": `export class A { v() { return 1; } }` });
    const runtime = await runtimeFor(folder);
    await folder.write("a.ts", "");
    const reloading = runtime.reload(["a.ts"]);
    // A deliberate race (the point of the test): the save lands while the reload re-reads the
    // empty file (CandidateReader: ten reads 3 ms apart); timers fire in order, so under load too
    // this one fires early among those retries.
    await new Promise((resolve) => setTimeout(resolve, 5));
    await folder.write("a.ts", `export class A { v() { return 2; } }`);
    const report = await reloading;
    expect(report.retired).toEqual([]);
    expect(runtime.getClass("a.ts", "A").new().call("v").toHost()).toBe(2);
  });
});

