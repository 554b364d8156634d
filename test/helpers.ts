import { mkdtemp, mkdir, rm, writeFile, rename, unlink } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, afterEach } from "vitest";
import { createRuntime, type GraftRuntime, type RuntimeOptions } from "../host-api/index.js";

type Cleanup = () => Promise<void> | void;
const cleanups: Cleanup[] = [];
/** Cleanups of what a file's tests share (made in beforeAll): run once the file's tests are done. */
const fileCleanups: Cleanup[] = [];

afterEach(async () => {
  while (cleanups.length > 0) await cleanups.pop()!();
});

afterAll(async () => {
  while (fileCleanups.length > 0) await fileCleanups.pop()!();
});

/**
 * How long a folder or runtime lives: "test" (the default) removes it after the test that
 * made it; "file" keeps it for every test of the file (for one made in beforeAll).
 */
export type Lifetime = "test" | "file";

function cleanupsOf(lifetime: Lifetime): Cleanup[] {
  return lifetime === "file" ? fileCleanups : cleanups;
}

/** A scripts folder in a temp dir, removed after the test (or the file: `lifetime`). */
export async function scriptsFolder(files: Record<string, string>, lifetime: Lifetime = "test"): Promise<ScriptsFolder> {
  const root = await mkdtemp(path.join(tmpdir(), "graft-test-"));
  cleanupsOf(lifetime).push(() => rm(root, { recursive: true, force: true }));
  const folder = new ScriptsFolder(root);
  for (const [file, source] of Object.entries(files)) await folder.write(file, source);
  return folder;
}

export class ScriptsFolder {
  constructor(readonly root: string) {}

  async write(file: string, source: string | Buffer): Promise<void> {
    const full = path.join(this.root, file);
    await mkdir(path.dirname(full), { recursive: true });
    await writeFile(full, source);
  }

  /** Writes like an editor's atomic save: a temp file renamed over the target. */
  async atomicWrite(file: string, source: string): Promise<void> {
    const full = path.join(this.root, file);
    await mkdir(path.dirname(full), { recursive: true });
    const temp = `${full}.tmp-${process.pid}`;
    await writeFile(temp, source);
    await rename(temp, full);
  }

  async remove(file: string): Promise<void> {
    await unlink(path.join(this.root, file));
  }

  async rename(from: string, to: string): Promise<void> {
    await mkdir(path.dirname(path.join(this.root, to)), { recursive: true });
    await rename(path.join(this.root, from), path.join(this.root, to));
  }
}

/** A runtime on `folder`, disposed after the test or the file (dispose must be clean). */
export async function runtimeFor(folder: ScriptsFolder, options: Partial<RuntimeOptions> = {}, lifetime: Lifetime = "test"): Promise<GraftRuntime> {
  const runtime = await createRuntime({ scripts: folder.root, ...options });
  cleanupsOf(lifetime).push(() => runtime.dispose());
  return runtime;
}

export function waitFor<T>(predicate: () => T | undefined | false, timeoutMs = 5000, what = "condition"): Promise<T> {
  const started = Date.now();
  return new Promise((resolve, reject) => {
    const tick = (): void => {
      const value = predicate();
      if (value) return resolve(value);
      if (Date.now() - started > timeoutMs) return reject(new Error(`waitFor timed out after ${timeoutMs} ms waiting for ${what}`));
      setTimeout(tick, 5);
    };
    tick();
  });
}
