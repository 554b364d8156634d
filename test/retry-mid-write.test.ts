import { describe, expect, it } from "vitest";
import { runtimeFor, scriptsFolder } from "./helpers.js";

/**
 * A failing file gets another try when another reload runs (R3). Caught between an editor's
 * truncation and its write, it reads as empty: that is not a text to run (its classes would
 * be retired for a moment) but a write under way, left to the write's own event.
 */
describe("a failing file caught mid-write by a retry", () => {
  it("is not run empty; the write that follows undoes the broken edit", async () => {
    const folder = await scriptsFolder({ "a.ts": "export class A { v() { return 1; } }\n", "b.ts": "export const b = 1;\n" });
    const runtime = await runtimeFor(folder);
    await folder.write("a.ts", "export class A { v() { return 1 +; } }\n");
    expect((await runtime.reload(["a.ts"])).errors.map((error) => error.file)).toEqual(["a.ts"]);
    // The editor truncated a.ts and has not written it yet; meanwhile another file is saved.
    await folder.write("a.ts", "");
    await folder.write("b.ts", "export const b = 2;\n");
    const other = await runtime.reload(["b.ts"]);
    expect(other.files).toEqual(["b.ts"]);
    expect(other.retired).toEqual([]);
    expect(runtime.exports("a.ts").A).toBeDefined();
    expect(runtime.failures().map((failure) => failure.file)).toEqual(["a.ts"]);
    // The write lands: back to the running text.
    await folder.write("a.ts", "export class A { v() { return 1; } }\n");
    const undone = await runtime.reload(["a.ts"]);
    expect(undone).toMatchObject({ ok: true, files: [], recovered: ["a.ts"] });
    expect(runtime.failures()).toEqual([]);
  });
});
