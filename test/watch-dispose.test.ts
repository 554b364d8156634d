import { mkdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { createRuntime } from "../host-api/index.js";
import { scriptsFolder } from "./helpers.js";

/** Node's fs.watch handles open in this thread (each folder FolderEvents watches is one). */
const openWatches = (): number => process.getActiveResourcesInfo().filter((kind) => kind === "FSEventWrap").length;
const tick = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

describe("R2 watch: dispose", () => {
  it("disposed while folders are being made and watched, the runtime leaves no fs watch open", async () => {
    const before = openWatches();
    for (let round = 0; round < 8; round++) {
      const folder = await scriptsFolder({ "a.ts": "export const a = 1;", "old/b.ts": "export const b = 1;" });
      const runtime = await createRuntime({ scripts: folder.root, watch: true });
      expect(openWatches()).toBe(before + 2);
      // Folders (three deep) keep appearing; the runtime goes at a different point each round.
      const disposeAt = round * 3;
      for (let i = 0; i < 24; i++) {
        mkdirSync(path.join(folder.root, `f${i}/g/h`), { recursive: true });
        writeFileSync(path.join(folder.root, `f${i}/g/h/x.ts`), `export const x = ${i};`);
        if (i === disposeAt) runtime.dispose();
        if (i % 4 === 0) await tick(1);
      }
      await tick(50); // what was under way when it went (a folder's listing, its watch) has ended
      expect(openWatches()).toBe(before);
    }
  });
});
