import { mkdirSync, mkdtempSync, renameSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { createRuntime, type GraftRuntime, type ReloadError } from "../host-api/index.js";
import { waitFor } from "./helpers.js";

/** The scripts folder itself under watch (R2): named through a symbolic link, deleted, moved away. */
const made: { runtime?: GraftRuntime; base: string }[] = [];
afterEach(() => {
  for (const { runtime, base } of made.splice(0)) {
    runtime?.dispose();
    rmSync(base, { recursive: true, force: true });
  }
});

function folderWith(files: Record<string, string>): { base: string; root: string } {
  const base = mkdtempSync(path.join(tmpdir(), "graft-watch-root-"));
  made.push({ base });
  const root = path.join(base, "scripts");
  for (const [file, source] of Object.entries(files)) {
    mkdirSync(path.dirname(path.join(root, file)), { recursive: true });
    writeFileSync(path.join(root, file), source);
  }
  return { base, root };
}

async function watching(scripts: string, errors: ReloadError[]): Promise<GraftRuntime> {
  const runtime = await createRuntime({ scripts, watch: true, onError: (error) => errors.push(error) });
  made[made.length - 1]!.runtime = runtime;
  return runtime;
}

describe("R2 watch: the scripts folder itself", () => {
  it("named through a symbolic link: saves there and in its folders reload", async () => {
    const { base, root } = folderWith({ "a.ts": "export const a = 1;", "sub/b.ts": "export const b = 1;" });
    const link = path.join(base, "link");
    symlinkSync(root, link);
    const errors: ReloadError[] = [];
    const runtime = await watching(link, errors);
    writeFileSync(path.join(root, "a.ts"), "export const a = 2;");
    await waitFor(() => runtime.exports("a.ts").a!.toHost() === 2, 5000, "a save in the linked folder");
    writeFileSync(path.join(root, "sub/b.ts"), "export const b = 2;");
    await waitFor(() => runtime.exports("sub/b.ts").b!.toHost() === 2, 5000, "a save in a folder under it");
    writeFileSync(path.join(root, "sub/c.ts"), "export const c = 3;");
    await waitFor(() => runtime.files().includes("sub/c.ts"), 5000, "a new file");
    expect(errors).toEqual([]);
  });

  it("deleted: its scripts are removed and the watcher is reported failing (not silent), once", async () => {
    const { root } = folderWith({ "a.ts": "export const a = 1;", "sub/b.ts": "export const b = 1;" });
    const errors: ReloadError[] = [];
    const runtime = await watching(root, errors);
    rmSync(root, { recursive: true });
    await waitFor(() => errors.length > 0 && runtime.files().length === 0, 5000, "the deletion and its report");
    expect(errors).toEqual([expect.objectContaining({ origin: "watcher", file: "", message: expect.stringContaining("the scripts folder was deleted or moved away") })]);
    // Made again: the runtime does not pretend to watch it (the report said so).
    mkdirSync(root);
    writeFileSync(path.join(root, "a.ts"), "export const a = 2;");
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(errors).toHaveLength(1);
  });

  it("moved away: reported, and saves in the moved folder are not taken for the scripts folder's", async () => {
    const { root } = folderWith({ "a.ts": "export const a = 1;" });
    const errors: ReloadError[] = [];
    const runtime = await watching(root, errors);
    renameSync(root, `${root}-moved`);
    await waitFor(() => errors.length > 0, 5000, "the report");
    expect(errors[0]).toEqual(expect.objectContaining({ origin: "watcher", message: expect.stringContaining("the scripts folder was deleted or moved away") }));
    writeFileSync(path.join(`${root}-moved`, "a.ts"), "export const a = 2;");
    await new Promise((resolve) => setTimeout(resolve, 200));
    // Nothing seen from the moved folder: a.ts stays as it ran (a reload() would say it is gone).
    expect(runtime.exports("a.ts").a!.toHost()).toBe(1);
    expect(errors).toHaveLength(1);
  });
});
