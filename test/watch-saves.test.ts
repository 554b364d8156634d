import { renameSync, unlinkSync, writeFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import type { ReloadReport } from "../host-api/index.js";
import { runtimeFor, scriptsFolder, waitFor } from "./helpers.js";

/** Saves as editors make them, under watch (R2, R4). */
describe("R2 watch: editors' saves", () => {
  it("a save that moves the file away (its backup) and writes it anew a moment later is one reload: nothing removed, the class keeps its identity", async () => {
    const folder = await scriptsFolder({
      "a.ts": "export class A { v() { return 0; } }",
      "b.ts": "import { A } from './a'; export class B extends A {}",
    });
    const runtime = await runtimeFor(folder, { watch: true });
    const reports: ReloadReport[] = [];
    runtime.on("reload", (report) => reports.push(report));
    const A = runtime.getClass("a.ts", "A");
    const instance = A.new();
    const file = path.join(folder.root, "a.ts");
    for (let save = 1; save <= 3; save++) {
      renameSync(file, `${file}~`);
      // The editor writes the new file a few ms later (the watcher has seen the file go by then).
      await new Promise((resolve) => setTimeout(resolve, 5));
      writeFileSync(file, `export class A { v() { return ${save}; } }`);
      unlinkSync(`${file}~`);
      await waitFor(() => instance.call("v").toHost() === save, 5000, `save ${save}`);
    }
    expect(reports.flatMap((report) => report.removed)).toEqual([]);
    expect(runtime.getClass("a.ts", "A").isSame(A)).toBe(true);
    expect(runtime.getClass("b.ts", "B").new().instanceOf(A)).toBe(true);
  });

  it("a file really deleted is still removed (once its moment to come back has passed)", async () => {
    const folder = await scriptsFolder({ "a.ts": "export class A {}", "b.ts": "export const b = 1;" });
    const runtime = await runtimeFor(folder, { watch: true });
    const reports: ReloadReport[] = [];
    runtime.on("reload", (report) => reports.push(report));
    await folder.remove("a.ts");
    await waitFor(() => !runtime.files().includes("a.ts"), 5000, "the removal");
    expect(reports.flatMap((report) => report.removed)).toEqual(["a.ts"]);
  });
});
