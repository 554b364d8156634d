import { symlink } from "node:fs/promises";
import path from "node:path";
import { describe, expect, it } from "vitest";
import type { ReloadError, ReloadReport } from "../host-api/index.js";
import { runtimeFor, scriptsFolder, waitFor } from "./helpers.js";

/** A script that records what its import() calls gave, for the host to read. */
const LOADER = `export const seen = [];
export function load(specifier, options) {
  return import(specifier, options).then(
    (ns) => { seen.push(["ok", specifier, Object.keys(ns).join(","), ns.default ?? ns.name]); return ns; },
    (error) => { seen.push(["error", specifier, error instanceof Error ? error.constructor.name : typeof error, error.message]); },
  );
}
`;

describe("dynamic import() of scripts in the folder", () => {
  it("gives the module namespace of a running file, and loads one that is not running (it then runs as any loaded file)", async () => {
    const folder = await scriptsFolder({ "loader.js": LOADER, "running.ts": `export const name = "running"; export default 1;` });
    const runtime = await runtimeFor(folder);
    const loader = runtime.exports("loader.js");
    await loader.load!.invoke("./running").promise();
    // Written after start-up, without a watcher: import() loads it.
    await folder.write("plugins/lazy.ts", `import { name as other } from "../running"; export const name = "lazy after " + other;`);
    expect(runtime.files()).not.toContain("plugins/lazy.ts");
    const namespace = await loader.load!.invoke("./plugins/lazy.ts").promise();
    expect(namespace.get("name").toHost()).toBe("lazy after running");
    expect(loader.seen!.toHost()).toEqual([
      ["ok", "./running", "default,name", 1],
      ["ok", "./plugins/lazy.ts", "name", "lazy after running"],
    ]);
    expect(runtime.files()).toEqual(["loader.js", "plugins/lazy.ts", "running.ts"]);
    // The same namespace object as a static import's, every time.
    await folder.write("same.js", `import * as ns from "./running"; export const same = Promise.all([import("./running"), import("./running.ts")]).then(([a, b]) => a === ns && b === ns);`);
    await runtime.reload(["same.js"]);
    expect(await runtime.exports("same.js").same!.promise().then((value) => value.toHost())).toBe(true);
    // It takes part in reloads: an edit of what it imports re-runs it.
    await folder.write("running.ts", `export const name = "edited"; export default 2;`);
    const report = await runtime.reload(["running.ts"]);
    expect(report.rerun).toContain("plugins/lazy.ts");
    expect(namespace.get("name").toHost()).toBe("lazy after edited");
  });

  it("follows the rules of static imports: outside the folder, non-scripts, symbolic links and wrong types are rejected with their errors", async () => {
    const folder = await scriptsFolder({ "loader.js": LOADER, "data.json": `{"a": 1}`, "notes.txt": "hello", "real.js": `export default "real";` });
    await symlink(path.join(folder.root, "real.js"), path.join(folder.root, "link.js"));
    const runtime = await runtimeFor(folder);
    const loader = runtime.exports("loader.js");
    for (const specifier of ["../outside.js", "./notes.txt", "./link.js", "node:fs", "./data.json", "./missing"]) await loader.load!.invoke(specifier).promise();
    await loader.load!.invoke("./data.json", { with: { type: "json" } }).promise();
    await loader.load!.invoke("./real.js", { with: { type: "json" } }).promise();
    await loader.load!.invoke("./real.js", { with: { lang: "en" } }).promise();
    expect(loader.seen!.toHost()).toEqual([
      ["error", "../outside.js", "TypeError", "cannot find '../outside.js' imported by loader.js: no script matches it inside the scripts folder (extension optional: .ts, .js, .mjs)"],
      ["error", "./notes.txt", "TypeError", "cannot find './notes.txt' imported by loader.js: no script matches it inside the scripts folder (extension optional: .ts, .js, .mjs)"],
      ["error", "./link.js", "TypeError", "cannot find './link.js' imported by loader.js: no script matches it inside the scripts folder (extension optional: .ts, .js, .mjs)"],
      ["error", "node:fs", "TypeError", `'node:fs' cannot be imported: scripts may import other scripts by relative path and "host"`],
      ["error", "./data.json", "SyntaxError", `'./data.json' is a JSON module: import it with { type: "json" } (in loader.js); write import data from "./data.json" with { type: "json" }; the data is its default export`],
      ["error", "./missing", "TypeError", "cannot find './missing' imported by loader.js: no script matches it inside the scripts folder (extension optional: .ts, .js, .mjs)"],
      ["ok", "./data.json", "default", { a: 1 }],
      ["error", "./real.js", "SyntaxError", `'./real.js' is imported with { type: "json" }, but real.js is not a .json file (in loader.js); remove the type attribute to import a script, or import the .json file`],
      ["error", "./real.js", "SyntaxError", "unsupported import attribute 'lang': the only one is type"],
    ]);
    expect(runtime.files()).toEqual(["data.json", "loader.js", "real.js"]);
  });

  it("a file that fails to load rejects the import with its error; a file that loops is stopped at the timeout", async () => {
    const folder = await scriptsFolder({ "loader.js": LOADER });
    const errors: ReloadError[] = [];
    const runtime = await runtimeFor(folder, { timeout: 300, onError: (error) => errors.push(error) });
    await folder.write("throws.js", `throw new RangeError("no such room");`);
    await folder.write("broken.ts", `export const = 1;`);
    await folder.write("loops.js", `for (;;) {}`);
    const loader = runtime.exports("loader.js");
    for (const specifier of ["./throws.js", "./broken.ts", "./loops.js"]) await loader.load!.invoke(specifier).promise();
    const seen = loader.seen!.toHost() as string[][];
    expect(seen[0]).toEqual(["error", "./throws.js", "RangeError", "no such room"]);
    expect(seen[1]!.slice(0, 3)).toEqual(["error", "./broken.ts", "SyntaxError"]);
    expect(seen[1]![3]).toMatch(/^broken\.ts: /);
    expect(seen[2]!.slice(0, 3)).toEqual(["error", "./loops.js", "Error"]);
    expect(seen[2]![3]).toMatch(/loops\.js.*(timed out|timeout)/s);
    // Each is listed as not running, with why; the runtime keeps serving.
    expect(runtime.failures().map((failure) => failure.file)).toEqual(["broken.ts", "loops.js", "throws.js"]);
    expect(runtime.files()).toEqual(["loader.js"]);
    // Importing it again rejects with the same error, without running it again (as ES keeps a module's error).
    await loader.load!.invoke("./throws.js").promise();
    expect((loader.seen!.toHost() as string[][])[3]).toEqual(["error", "./throws.js", "RangeError", "no such room"]);
  });

  it("works from timers, async host functions and top-level await (a file not loaded yet, loaded into the waiting transaction)", async () => {
    const folder = await scriptsFolder({
      "a-main.js": `import { later } from "host";
        const first = await import("./z-late.js");
        export const fromTopLevel = first.value;
        export const fromTimer = new Promise((resolve) => setTimeout(() => resolve(import("./z-late.js").then((ns) => ns.value + 1)), 1));
        export const fromHost = later().then(() => import("./z-late.js")).then((ns) => ns.value + 2);`,
      "z-late.js": `await new Promise((resolve) => setTimeout(resolve, 5)); export const value = 40;`,
    });
    const errors: ReloadError[] = [];
    const runtime = await runtimeFor(folder, { host: { later: () => new Promise((resolve) => setTimeout(resolve, 5)) }, onError: (error) => errors.push(error) });
    expect(errors).toEqual([]);
    expect(runtime.initialReport.files).toEqual(["a-main.js", "z-late.js"]);
    const main = runtime.exports("a-main.js");
    expect(main.fromTopLevel!.toHost()).toBe(40);
    expect((await main.fromTimer!.promise()).toHost()).toBe(41);
    expect((await main.fromHost!.promise()).toHost()).toBe(42);
    // Inside a reload transaction: the re-run awaits it again (it runs, as a fresh load would).
    const report = await runtime.reload(["a-main.js"], { force: true });
    expect(report.ok).toBe(true);
    expect(runtime.exports("a-main.js").fromTopLevel!.toHost()).toBe(40);

    // A reload's new file awaits a file that is not running: it joins that transaction and commits with it.
    await folder.write("shop.js", `import { value } from "./z-late.js"; export const price = value + 2;`);
    await folder.write("b-menu.js", `const { price } = await import("./shop.js"); export const menu = "soup " + price;`);
    const added = await runtime.reload(["b-menu.js"]);
    expect(added.ok).toBe(true);
    expect(added.files.sort()).toEqual(["b-menu.js", "shop.js"]);
    expect(runtime.exports("b-menu.js").menu!.toHost()).toBe("soup 42");

    // One that fails while it runs fails that transaction (its half-run version cannot be taken out of it).
    await folder.write("bad.js", `throw new Error("no soup today");`);
    await folder.write("c-menu.js", `export const menu = await import("./bad.js").then(() => "ok", (error) => "caught " + error.message);`);
    const failed = await runtime.reload(["c-menu.js"]);
    expect(failed.ok).toBe(false);
    expect(failed.errors.map((error) => error.file)).toContain("bad.js");
    expect(runtime.files()).not.toContain("c-menu.js");
    expect(runtime.files()).not.toContain("bad.js");
  });

  it("a file imported with import() that later changes re-runs its importer; deleted, the importer waits for it", async () => {
    const folder = await scriptsFolder({
      "menu.js": `const plugin = await import("./plugin.js"); export const title = "menu: " + plugin.label; export const live = plugin;`,
      "plugin.js": `export const label = "one";`,
    });
    const runtime = await runtimeFor(folder, { watch: true });
    const reports: ReloadReport[] = [];
    runtime.on("reload", (report) => reports.push(report));
    expect(runtime.exports("menu.js").title!.toHost()).toBe("menu: one");

    await folder.write("plugin.js", `export const label = "two";`);
    await waitFor(() => runtime.exports("menu.js").title!.toHost() === "menu: two", 5000, "the importer to re-run");
    const edit = reports.find((report) => report.files.includes("plugin.js"))!;
    expect(edit.rerun).toEqual(["menu.js"]);

    await folder.remove("plugin.js");
    await waitFor(() => !runtime.files().includes("plugin.js"), 5000, "plugin.js to be removed");
    // As for a static importer: it keeps running its version, listed as waiting for the file.
    expect(runtime.files()).toEqual(["menu.js"]);
    expect(runtime.failures().map((failure) => [failure.file, failure.running, failure.message])).toEqual([["menu.js", true, "not applied: it imports plugin.js, which was deleted"]]);
    expect(runtime.exports("menu.js").title!.toHost()).toBe("menu: two");

    await folder.write("plugin.js", `export const label = "three";`);
    await waitFor(() => runtime.exports("menu.js").title!.toHost() === "menu: three", 5000, "the importer to re-run once the file is back");
    expect(runtime.failures()).toEqual([]);
  });
});
