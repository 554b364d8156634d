import { writeFileSync } from "node:fs";
import { mkdir, symlink, writeFile } from "node:fs/promises";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { createRuntime, GraftError, type ReloadError, type ReloadReport } from "../host-api/index.js";
import { runtimeFor, scriptsFolder, waitFor } from "./helpers.js";

/** A scripts folder inside a parent folder, with a file beside it (outside the scripts). */
async function folderWithOutside() {
  const parent = await scriptsFolder({ "outside.ts": `export const secret = "outside";`, "scripts/a.ts": `export const a = 1;` });
  const root = path.join(parent.root, "scripts");
  await writeFile(path.join(root, "notes.txt"), "root:x:0:0:root:/root:/bin/bash\n");
  return { parent, root, outside: path.join(parent.root, "outside.ts") };
}

describe("item 12: one rule for what is a script", () => {
  it("reload() refuses paths outside the folder, files that are not scripts, and arguments of the wrong type", async () => {
    const { root, outside } = await folderWithOutside();
    const runtime = await createRuntime({ scripts: root });
    try {
      // Before: "../outside.ts" loaded from outside the folder, and notes.txt was compiled
      // (its first line shown in a code frame); a string or a number gave a raw TypeError.
      await expect(runtime.reload(["../outside.ts"])).rejects.toThrow(new GraftError("reload(files): '../outside.ts' cannot be reloaded: it is outside the scripts folder"));
      await expect(runtime.reload([outside])).rejects.toThrow(/it is outside the scripts folder/);
      await expect(runtime.reload(["notes.txt"])).rejects.toThrow(/'notes\.txt' cannot be reloaded: it is not a script: scripts are \.ts, \.js or \.mjs files/);
      await expect(runtime.reload("a.ts" as unknown as string[])).rejects.toThrow(/reload\(files\) takes an array of script paths .* got a string \("a\.ts"\)/);
      await expect(runtime.reload([123 as unknown as string])).rejects.toThrow(/reload\(files\): entry 1 is a number \(123\), not a script path/);
      expect(runtime.files()).toEqual(["a.ts"]);
      const report = await runtime.reload([path.join(root, "a.ts")]);
      expect(report.errors).toEqual([]);
    } finally {
      runtime.dispose();
    }
  });

  it("symbolic links are not scripts: at start-up, in reload() and in the watcher, also ones pointing outside", async () => {
    const { root, outside } = await folderWithOutside();
    await symlink(outside, path.join(root, "at-start.ts"));
    const runtime = await runtimeFor({ root } as never, { watch: true });
    const errors: ReloadError[] = [];
    runtime.on("error", (error) => errors.push(error));
    expect(runtime.files()).toEqual(["a.ts"]);
    await mkdir(path.join(root, "sub"));
    await symlink(outside, path.join(root, "sub", "linked.ts"));
    await symlink(path.dirname(outside), path.join(root, "linked-folder"));
    await expect(runtime.reload(["sub/linked.ts"])).rejects.toThrow(/'sub\/linked\.ts' cannot be reloaded: it is a symbolic link, or reached through one/);
    await expect(runtime.reload(["linked-folder/outside.ts"])).rejects.toThrow(/symbolic link/);
    // The watcher sees the links made above; a later real edit proves it has moved past them.
    await writeFile(path.join(root, "a.ts"), `export const a = 2;`);
    await waitFor(() => runtime.exports("a.ts").a!.toHost() === 2);
    // Before: the watcher loaded sub/linked.ts, the secret from outside the folder.
    expect(runtime.files()).toEqual(["a.ts"]);
    const everything = await runtime.reload();
    expect(everything.files).toEqual([]);
    expect(runtime.files()).toEqual(["a.ts"]);
    expect(errors).toEqual([]);
  });

  it("memoryLimit must fit the 32-bit VM", async () => {
    const folder = await scriptsFolder({ "a.ts": `export const a = 1;` });
    // Before: 2**32 passed validation and failed with "memory access out of bounds".
    await expect(createRuntime({ scripts: folder.root, memoryLimit: 2 ** 32 })).rejects.toThrow(/'memoryLimit' must be between 1 MiB and 2 GiB/);
    await expect(createRuntime({ scripts: folder.root, memoryLimit: 1000 })).rejects.toThrow(GraftError);
    const runtime = await createRuntime({ scripts: folder.root, memoryLimit: 2 ** 31 });
    expect(runtime.exports("a.ts").a!.toHost()).toBe(1);
    runtime.dispose();
  });
});

describe("item 13: the watcher's defaults keep a checkout one batch", () => {
  it("files written 2 ms apart, the importer first, reload as one transaction in dependency order", async () => {
    const folder = await scriptsFolder({
      "base.ts": `export class Base { tag() { return "b1"; } }`,
      "mid.ts": `import { Base } from "./base"; export class Mid extends Base { tag() { return "m1+" + super.tag(); } }`,
      "top.ts": `import { Mid } from "./mid"; export class Top extends Mid { tag() { return "t1+" + super.tag(); } }`,
    });
    const runtime = await runtimeFor(folder, { watch: true });
    const reports: ReloadReport[] = [];
    const errors: ReloadError[] = [];
    runtime.on("reload", (report) => reports.push(report));
    runtime.on("error", (error) => errors.push(error));
    const top = runtime.getClass("top.ts", "Top").new();
    // Like a checkout: each write lets the event loop take the file events, then the next
    // comes 2 ms later (waited out on the CPU, so that timers on a busy machine do not
    // stretch the gap).
    const write = async (file: string, source: string): Promise<void> => {
      writeFileSync(path.join(folder.root, file), source);
      await new Promise((resolve) => setImmediate(resolve));
      for (const until = performance.now() + 2; performance.now() < until; );
    };
    // Each file needs the next one's new version: alone, or in the wrong order, it fails.
    await write("top.ts", `import { Mid, midVersion } from "./mid"; export class Top extends Mid { tag() { return "t2+" + midVersion() + super.tag(); } }`);
    await write("mid.ts", `import { Base, baseVersion } from "./base"; export const midVersion = () => "(" + baseVersion + ")"; export class Mid extends Base { tag() { return "m2+" + super.tag(); } }`);
    await write("base.ts", `export const baseVersion = 2; export class Base { tag() { return "b2"; } }`);
    await waitFor(() => reports.some((report) => report.files.includes("base.ts")));
    const applied = reports.filter((report) => report.files.length > 0);
    // Before (debounce 1 ms): three transactions, the first two failing for want of the others.
    expect(applied.map((report) => report.files), JSON.stringify(applied.map((report) => [report.files, report.errors.length]))).toHaveLength(1);
    expect(applied[0]!.files).toEqual(["base.ts", "mid.ts", "top.ts"]);
    expect(errors).toEqual([]);
    expect(top.call("tag").toHost()).toBe("t2+(2)m2+b2");
  });
});
