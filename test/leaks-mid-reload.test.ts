import { beforeAll, describe, expect, it } from "vitest";
import type { GraftRuntime, LeakReport } from "../host-api/index.js";
import { HOG_SCRIPT, vmMemoryBytes } from "./grown-vm.js";
import { runtimeFor, scriptsFolder, type ScriptsFolder } from "./helpers.js";

/**
 * Issue 8: during a reload the kernel's journal holds the running version of each class it
 * patches, for a rollback. A leak query made meanwhile (a host function the reloading file
 * calls) must not report that version as a superseded one alive: it is still the running one.
 */

describe("leaks() from a host function during a reload", () => {
  it("reports no leak for the version the reload is replacing, committed or rolled back; a real leak still shows", async () => {
    const folder = await scriptsFolder({ "a.ts": "export class A { v(): number { return 1; } }\nexport const a = new A();", "keep.ts": "export const keep: unknown[] = [];" });
    let runtime: GraftRuntime | undefined;
    const during: LeakReport[][] = [];
    runtime = await runtimeFor(folder, { host: { check: () => void during.push(runtime!.leaks()) } });
    const withCheck = (version: number, tail = ""): string =>
      `import { check } from "host";\nimport { keep } from "./keep.ts";\nexport class A { v(): number { return super.toString().length * 0 + ${version}; } }\ncheck();\nexport const a = new A();\n${tail}`;

    await folder.write("a.ts", withCheck(2));
    expect((await runtime.reload(["a.ts"])).ok).toBe(true);
    await folder.write("a.ts", withCheck(3, "throw new Error('this version fails');"));
    expect((await runtime.reload(["a.ts"])).ok).toBe(false);
    expect(during).toEqual([[], []]);
    expect(runtime.leaks()).toEqual([]);

    // A superseded version that user code really holds (v2's method, through its home object) is reported, after the commit.
    await folder.write("a.ts", withCheck(4, "keep.push(A.prototype.v);"));
    expect((await runtime.reload(["a.ts"])).ok).toBe(true);
    const A = runtime.getClass("a.ts", "A");
    const held = A.version;
    await folder.write("a.ts", withCheck(5));
    expect((await runtime.reload(["a.ts"])).ok).toBe(true);
    expect(during[2]).toEqual([]);
    expect(during[3]).toEqual([]);
    expect(runtime.leaks().map((leak) => `${leak.name} v${leak.version}${leak.retired ? " retired" : ""}`)).toEqual([`A v${held}`]);
    expect(A.version).toBe(held + 1);
    A.dispose();
  });
});

describe("leaks() from a host function during a reload, after the VM memory grew (64 MB buffer, 300k objects)", () => {
  const R = (version: number, { tail = "", grow = false } = {}): string =>
    [
      `import { check } from "host";`,
      `import { keep } from "./keep.ts";`,
      `import { buffer, objects } from "./hog.ts";`,
      `export class R { v(): number { return super.toString().length * 0 + ${version}; } }`,
      // The reload itself grows the VM before the leak query: 300k objects and a 64 MB buffer, held by hog.ts.
      grow ? `objects(300_000);\nbuffer(64);` : "",
      `check();`,
      `export const r = new R();`,
      tail,
    ].join("\n");

  let runtime: GraftRuntime | undefined;
  let folder: ScriptsFolder;
  let version = 1;
  /** What leaks() answered inside each reload's check(). */
  const during: LeakReport[][] = [];

  /** Reloads r.ts (the next version): leaks() seen inside it and after it. */
  async function reloadR(options: { fails?: boolean; grow?: boolean; tail?: string } = {}): Promise<{ during: LeakReport[]; after: LeakReport[] }> {
    version += 1;
    const tail = `${options.tail ?? ""}\n${options.fails ? "throw new Error('this version fails');" : ""}`;
    await folder.write("r.ts", R(version, { tail, grow: options.grow }));
    const seen = during.length;
    const report = await runtime!.reload(["r.ts"]);
    expect([report.ok, report.errors.map((error) => error.message)]).toEqual(options.fails ? [false, [expect.stringContaining("this version fails")]] : [true, []]);
    expect(during.length).toBe(seen + 1);
    return { during: during.at(-1)!, after: runtime!.leaks() };
  }

  const summary = (leaks: LeakReport[]): string[] => leaks.map((leak) => `${leak.name} ${leak.file} v${leak.version}${leak.retired ? " retired" : ""}`);

  let before: { committed: Awaited<ReturnType<typeof reloadR>>; rolledBack: Awaited<ReturnType<typeof reloadR>> };
  let heldVersion: number;

  beforeAll(async () => {
    folder = await scriptsFolder(
      {
        "r.ts": R(1),
        "keep.ts": "export const keep: unknown[] = [];",
        "ghost.ts": "export class Ghost { boo(): string { return 'boo'; } }",
        "holder.ts": "import { Ghost } from './ghost.ts';\n(globalThis as any).keep ??= Ghost;",
        "hog.ts": HOG_SCRIPT,
      },
      "file",
    );
    runtime = await runtimeFor(folder, { timeout: 20_000, host: { check: () => void (runtime && during.push(runtime.leaks())) } }, "file");
    // Ghost is retired and held by holder.ts's global; a version of R is superseded and held through its method's home object.
    await folder.write("ghost.ts", "export class Spirit {}");
    await runtime.reload(["ghost.ts"]);
    await reloadR({ tail: "keep.push(R.prototype.v);" });
    const held = runtime.getClass("r.ts", "R");
    heldVersion = held.version;
    held.dispose();
    await reloadR();
    before = { committed: await reloadR(), rolledBack: await reloadR({ fails: true }) };
  });

  it("on the small heap: the real leaks with their file and version, never the version being replaced", () => {
    const expected = ["Ghost ghost.ts v1 retired", `R r.ts v${heldVersion}`];
    expect(summary(before.committed.during)).toEqual(expected);
    expect(summary(before.committed.after)).toEqual(expected);
    expect(summary(before.rolledBack.during)).toEqual(expected);
    expect(summary(before.rolledBack.after)).toEqual(expected);
    expect(before.committed.during[0]!.paths[0]!.text).toContain("<- global 'keep' of context holder.ts   [root]");
    expect(before.committed.during[1]!.paths[0]!.text).toContain("<- closure variable 'keep' of the top level of keep.ts");
  });

  it("memory growing inside the reload, before the query: the same leaks, and the reload commits", async () => {
    const from = vmMemoryBytes(runtime!);
    const grown = await reloadR({ grow: true });
    expect(vmMemoryBytes(runtime!)).toBeGreaterThan(from + 64 * 1024 * 1024);
    expect(runtime!.gc().after).toBeGreaterThan(300_000);
    expect(grown).toEqual(before.committed);
    const r = runtime!.exports("r.ts").r!;
    expect(r.call("v").toHost()).toBe(version);
    r.dispose();
  });

  it("after growth: committed and rolled-back reloads see the same leaks as before", async () => {
    expect(await reloadR()).toEqual(before.committed);
    expect(await reloadR({ fails: true })).toEqual(before.rolledBack);
  });
});
