import { mkdirSync, writeFileSync, type watch as fsWatch } from "node:fs";
import path from "node:path";
import { describe, expect, it, vi } from "vitest";
import type { ReloadError } from "../host-api/index.js";
import { runtimeFor, scriptsFolder } from "./helpers.js";

/** Watches left before the OS refuses more (Linux: ENOSPC, out of inotify watches); Infinity: no limit. */
const limit = vi.hoisted(() => ({ left: Number.POSITIVE_INFINITY }));

vi.mock("node:fs", async (importOriginal) => {
  const actual = await importOriginal<typeof import("node:fs")>();
  const watch = ((...args: Parameters<typeof fsWatch>) => {
    if (limit.left <= 0) {
      throw Object.assign(new Error(`ENOSPC: System limit for number of file watchers reached, watch '${String(args[0])}'`), { code: "ENOSPC", errno: -28, syscall: "watch", path: String(args[0]) });
    }
    limit.left--;
    return actual.watch(...args);
  }) as typeof fsWatch;
  return { ...actual, watch, default: { ...actual, watch } };
});

describe("R2 watch: the OS's limit of file watches", () => {
  it("reached: one clear error (what, the first folder left unwatched, what to do), not one per folder", async () => {
    const files: Record<string, string> = {};
    for (let i = 0; i < 30; i++) files[`f${String(i).padStart(2, "0")}/x.ts`] = `export const x = ${i};`;
    const folder = await scriptsFolder(files);
    limit.left = 5;
    const errors: ReloadError[] = [];
    try {
      const runtime = await runtimeFor(folder, { watch: true, onError: (error) => errors.push(error) });
      // A folder made later finds the limit too: still no second report.
      mkdirSync(path.join(folder.root, "later"));
      writeFileSync(path.join(folder.root, "later/y.ts"), "export const y = 1;");
      await new Promise((resolve) => setTimeout(resolve, 200));
      expect(runtime.files()).toHaveLength(31);
    } finally {
      limit.left = Number.POSITIVE_INFINITY;
    }
    expect(errors).toHaveLength(1);
    expect(errors[0]).toEqual(expect.objectContaining({ origin: "watcher", message: expect.stringContaining("limit of file watches") }));
    expect(errors[0]!.file).toMatch(/^f\d\d$/);
    expect(errors[0]!.text).toContain("fs.inotify.max_user_watches");
    // The watch is not retried: the text must not promise that saves come back on their own.
    expect(errors[0]!.text).toContain("no longer reload on their own");
  });
});
