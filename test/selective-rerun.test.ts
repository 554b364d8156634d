import { describe, expect, it } from "vitest";
import { runtimeFor, scriptsFolder } from "./helpers.js";

// R13 with fewer re-runs (issue 18 point 7): a file importing a changed one re-runs only when
// its top level may read the import while it evaluates; one that only reads it from methods
// and functions keeps running and sees the new value through its live binding.

describe("importers re-run only when their top level reads a changed binding", () => {
  it("a leaf edit re-runs the importer whose static reads it, not the one whose methods do; both see the new value", async () => {
    const folder = await scriptsFolder({
      "leaf.ts": `export const SCALE = 2;\nexport function scaled(n: number): number { return n * SCALE; }\n`,
      "lazy.ts": `import { SCALE, scaled } from "./leaf";\nexport class Lazy {\n  size(): number { return scaled(10) + SCALE; }\n}\n`,
      "eager.ts": `import { SCALE } from "./leaf";\nexport class Eager {\n  static size = SCALE * 10;\n}\n`,
      // An import cycle of inert files: each only calls the other from methods.
      "ring-a.ts": `import { B } from "./ring-b";\nimport { SCALE } from "./leaf";\nexport class A { other(): number { return new B().own() * SCALE; } own(): number { return 1; } }\n`,
      "ring-b.ts": `import { A } from "./ring-a";\nexport class B { other(): number { return new A().own(); } own(): number { return 2; } }\n`,
    });
    const runtime = await runtimeFor(folder);
    const lazy = runtime.getClass("lazy.ts", "Lazy").new();
    expect(lazy.call("size").toHost()).toBe(22);
    expect(runtime.getClass("eager.ts", "Eager").get("size").toHost()).toBe(20);

    await folder.write("leaf.ts", `export const SCALE = 3;\nexport function scaled(n: number): number { return n * SCALE + 1; }\n`);
    const report = await runtime.reload(["leaf.ts"]);
    expect(report.errors).toEqual([]);
    expect(report.rerun).toEqual(["eager.ts"]);
    expect(lazy.call("size").toHost()).toBe(34);
    expect(runtime.getClass("eager.ts", "Eager").get("size").toHost()).toBe(30);
    expect(runtime.getClass("ring-a.ts", "A").new().call("other").toHost()).toBe(6);

    // Other names exported: every importer re-runs, as a fresh load would link each again (ring-b imports only ring-a, whose names stay).
    await folder.write("leaf.ts", `export const SCALE = 4;\nexport const EXTRA = 1;\nexport function scaled(n: number): number { return n * SCALE; }\n`);
    const renamed = await runtime.reload(["leaf.ts"]);
    expect(renamed.errors).toEqual([]);
    expect([...renamed.rerun].sort()).toEqual(["eager.ts", "lazy.ts", "ring-a.ts"]);
    expect(lazy.call("size").toHost()).toBe(44);
  });
});
