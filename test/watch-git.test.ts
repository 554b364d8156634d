import { execFileSync } from "node:child_process";
import { describe, expect, it } from "vitest";
import type { GraftRuntime, ReloadError, ReloadReport } from "../host-api/index.js";
import { runtimeFor, scriptsFolder, waitFor, type ScriptsFolder } from "./helpers.js";

// Real git operations on a scripts folder under watch (R2, issue 18 point 5): a checkout or a
// stash pop of 20 files arrives as a stream of file events, the first of which reloads alone
// (a lone save applies at once). Whatever the order, the runtime must end as a fresh load of
// the final files, and nobody may see a failure that only came from half a checkout.

const SHAPES = 19;

/** Version "a": shapes extend Base and size themselves from base.ts's UNIT. */
function versionA(): Record<string, string> {
  const files: Record<string, string> = {
    "shapes/base.ts": `export const UNIT = 1;\nexport class Base {\n  kind(): string { return "a"; }\n}\n`,
  };
  for (let i = 1; i <= SHAPES; i++) {
    files[`shapes/shape${i}.ts`] =
      `import { Base, UNIT } from "./base";\nexport class Shape${i} extends Base {\n  static size = UNIT * ${i};\n  area(): string { return "a${i}:" + this.kind(); }\n}\n`;
  }
  return files;
}

/**
 * Version "b": base.ts imports a new file, unit.ts, and no longer exports UNIT but SCALE,
 * which every shape reads at its top level; shape20 is new. git writes base.ts first: alone,
 * it cannot load (unit.ts is not there yet), and once it loads, every running shape of "a"
 * imports a name it no longer exports; a shape of "b" arriving before base.ts cannot link.
 * Going back, git deletes unit.ts and shape20 first, while base.ts of "b" still imports unit.ts.
 */
function versionB(): Record<string, string | null> {
  const files: Record<string, string | null> = {
    "shapes/base.ts": `import { UNIT } from "./unit";\nexport const SCALE = 10 * UNIT;\nexport class Base {\n  kind(): string { return "b"; }\n}\n`,
    "shapes/unit.ts": `export const UNIT = 2;\n`,
  };
  for (let i = 1; i <= SHAPES + 1; i++) {
    files[`shapes/shape${i}.ts`] =
      `import { Base, SCALE } from "./base";\nexport class Shape${i} extends Base {\n  static size = SCALE * ${i};\n  area(): string { return "b${i}:" + this.kind(); }\n}\n`;
  }
  return files;
}

function git(folder: ScriptsFolder, ...args: string[]): string {
  return execFileSync("git", ["-c", "user.name=graft", "-c", "user.email=graft@example.invalid", "-c", "core.autocrlf=false", ...args], { cwd: folder.root, encoding: "utf8" });
}

async function writeVersion(folder: ScriptsFolder, files: Record<string, string | null>): Promise<void> {
  for (const [file, source] of Object.entries(files)) {
    if (source === null) await folder.remove(file);
    else await folder.write(file, source);
  }
}

/** What a host sees of every class: its file, static size, and an instance's area(). */
function observe(runtime: GraftRuntime): string[] {
  return runtime.files().flatMap((file) => {
    const exported = runtime.exports(file);
    for (const value of Object.values(exported)) value.dispose();
    return Object.keys(exported)
      .filter((name) => name.startsWith("Shape"))
      .map((name) => {
        const cls = runtime.getClass(file, name);
        const instance = cls.new();
        const seen = `${file} ${name} size=${String(cls.get("size").toHost())} area=${String(instance.call("area").toHost())}`;
        instance.dispose();
        return seen;
      });
  });
}

/** What a fresh runtime loading the folder as it is now sees. */
async function freshLoad(folder: ScriptsFolder): Promise<string[]> {
  const fresh = await runtimeFor(folder);
  try {
    expect(fresh.failures()).toEqual([]);
    return observe(fresh);
  } finally {
    fresh.dispose();
  }
}

/** Waits until the watching runtime is a fresh load of the folder, and the watcher and held failures have settled. */
async function settlesAsFreshLoad(folder: ScriptsFolder, runtime: GraftRuntime): Promise<void> {
  const expected = await freshLoad(folder);
  await waitFor(() => runtime.failures().length === 0 && JSON.stringify(observe(runtime)) === JSON.stringify(expected), 30_000, "the watched runtime to equal a fresh load");
  const watched = (runtime as unknown as { watched: { settled: boolean } }).watched;
  await waitFor(() => watched.settled, 30_000, "held failures to be settled");
  expect(observe(runtime)).toEqual(expected);
}

describe("R2 watch: real git operations of 20 files", () => {
  it("a git checkout ends as a fresh load of the checked-out files, with no failure reported on the way", async () => {
    const folder = await scriptsFolder(versionA());
    git(folder, "init", "-q", "-b", "a");
    git(folder, "add", "-A");
    git(folder, "commit", "-q", "-m", "a");
    git(folder, "checkout", "-q", "-b", "b");
    await writeVersion(folder, versionB());
    git(folder, "add", "-A");
    git(folder, "commit", "-q", "-m", "b");
    git(folder, "checkout", "-q", "a");

    const runtime = await runtimeFor(folder, { watch: true });
    const errors: ReloadError[] = [];
    runtime.on("error", (error) => errors.push(error));
    expect(observe(runtime)).toContain("shapes/shape3.ts Shape3 size=3 area=a3:a");

    git(folder, "checkout", "-q", "b");
    await settlesAsFreshLoad(folder, runtime);
    expect(observe(runtime)).toContain("shapes/shape3.ts Shape3 size=60 area=b3:b");
    expect(runtime.files()).toContain(`shapes/shape${SHAPES + 1}.ts`);

    git(folder, "checkout", "-q", "a");
    await settlesAsFreshLoad(folder, runtime);
    expect(observe(runtime)).toContain("shapes/shape3.ts Shape3 size=3 area=a3:a");
    expect(runtime.files()).not.toContain("shapes/unit.ts");
    expect(errors.map((error) => error.text)).toEqual([]);
  }, 120_000);

  it("git stash and git stash pop of edits to 20 files end as fresh loads, with no failure reported on the way", async () => {
    const folder = await scriptsFolder(versionA());
    git(folder, "init", "-q", "-b", "main");
    git(folder, "add", "-A");
    git(folder, "commit", "-q", "-m", "a");
    const runtime = await runtimeFor(folder, { watch: true });
    const errors: ReloadError[] = [];
    runtime.on("error", (error) => errors.push(error));

    // The designer's work in progress: version "b", saved file by file (each save reloads).
    await writeVersion(folder, versionB());
    await settlesAsFreshLoad(folder, runtime);
    const inProgress = observe(runtime);
    expect(inProgress).toContain("shapes/shape3.ts Shape3 size=60 area=b3:b");

    git(folder, "stash", "push", "-q", "--include-untracked");
    await settlesAsFreshLoad(folder, runtime);
    expect(observe(runtime)).toContain("shapes/shape3.ts Shape3 size=3 area=a3:a");

    git(folder, "stash", "pop", "-q");
    await settlesAsFreshLoad(folder, runtime);
    expect(observe(runtime)).toEqual(inProgress);
    expect(errors.map((error) => error.text)).toEqual([]);
  }, 120_000);

  it("a change set written file by file, a few ms apart (a checkout on a slow disk): the first file fails alone, waits, and its failure is never reported", async () => {
    const folder = await scriptsFolder(versionA());
    const runtime = await runtimeFor(folder, { watch: true });
    const errors: ReloadError[] = [];
    runtime.on("error", (error) => errors.push(error));
    const reports: ReloadReport[] = [];
    runtime.on("reload", (report) => reports.push(report));
    const failedAlone = new Promise<void>((resolve) => {
      const engine = (runtime as unknown as { engine: { reload: (...args: unknown[]) => Promise<ReloadReport> } }).engine;
      const reload = engine.reload.bind(engine);
      engine.reload = async (...args: unknown[]) => {
        const report = await reload(...args);
        if (report.errors.some((error) => error.file === "shapes/base.ts")) resolve();
        return report;
      };
    });
    // base.ts first, as git writes it, then the rest once its lone reload has failed (unit.ts is not there yet).
    const { "shapes/base.ts": base, ...rest } = versionB();
    await folder.write("shapes/base.ts", base!);
    await failedAlone;
    for (const [file, source] of Object.entries(rest)) {
      await folder.write(file, source!);
      await new Promise((resolve) => setTimeout(resolve, 3));
    }
    await settlesAsFreshLoad(folder, runtime);
    expect(observe(runtime)).toContain("shapes/shape3.ts Shape3 size=60 area=b3:b");
    expect(errors.map((error) => error.text)).toEqual([]);
    expect(reports.flatMap((report) => report.errors)).toEqual([]);
  }, 120_000);
});
