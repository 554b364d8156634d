import { describe, expect, it } from "vitest";
import type { GraftRuntime, LeakReport } from "../host-api/index.js";
import { runtimeFor, scriptsFolder } from "./helpers.js";

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
