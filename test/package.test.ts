import { execFile } from "node:child_process";
import { cp, mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { readmeBlock, readmeBlocks, ROOT } from "./readme.js";

const run = promisify(execFile);

/**
 * What a user gets from the registry: `npm pack` (of the build `npm test` just made),
 * installed into an empty project outside the repository, used as the README says.
 */
describe("the packed package, installed in an empty project", () => {
  let work: string;
  let project: string;
  let packed: string[];
  let installWarnings = "";

  beforeAll(async () => {
    work = await mkdtemp(path.join(tmpdir(), "graft-pack-"));
    const { stdout } = await run("npm", ["pack", "--ignore-scripts", "--json", "--pack-destination", work], { cwd: ROOT, timeout: 60_000 });
    const [info] = JSON.parse(stdout) as { filename: string; files: { path: string }[] }[];
    packed = info!.files.map((file) => file.path);
    project = path.join(work, "host");
    await mkdir(project);
    await writeFile(path.join(project, "package.json"), JSON.stringify({ name: "host", private: true, type: "module" }));
    const installed = await run("npm", ["install", "--prefer-offline", "--no-audit", "--no-fund", path.join(work, info!.filename), "typescript@5.9.3", "@types/node@20.19.43"], {
      cwd: project,
      timeout: 180_000,
    });
    installWarnings = installed.stderr;
    await cp(path.join(ROOT, "scripts"), path.join(project, "scripts"), { recursive: true });
  }, 240_000);

  afterAll(async () => {
    if (work) await rm(work, { recursive: true, force: true });
  });

  it("installs without an install-script warning (graft builds on its own npm install/ci, not on its users')", () => {
    expect(installWarnings).not.toMatch(/install-scripts|graft@/);
  });

  it("ships the build and its types, not the sources, tests or maps", () => {
    expect(packed).toContain("dist/host-api/index.js");
    expect(packed).toContain("dist/host-api/index.d.ts");
    expect(packed).toContain("dist/runtime/reload/reload-engine.js");
    expect(packed).toContain("dist/cli/graft.js");
    expect(packed).toContain("types/scripts.d.ts");
    expect(packed.filter((file) => /\.map$|tsbuildinfo|^test\/|^bench\/|^demo\/|^dist\/demo\/|\.ts$/.test(file) && !file.endsWith(".d.ts") && !file.endsWith(".d.cts"))).toEqual([]);
  });

  it("runs the README example in an ES module project", async () => {
    const code = await readmeBlock("## Embed graft in your host", "js");
    await writeFile(path.join(project, "example.mjs"), code);
    const { stdout, stderr } = await run(process.execPath, ["example.mjs"], { cwd: project, timeout: 60_000 });
    expect(stderr).toBe("");
    expect(stdout).toContain("Look [ 'look', 'l' ]");
    // the graft command is installed with the package
    const checked = await run(path.join(project, "node_modules", ".bin", "graft"), ["check", "scripts"], { cwd: project, timeout: 60_000 });
    expect(checked.stdout).toContain("ok: every script of scripts loads");
  });

  it("type-checks the README example in a TypeScript NodeNext project", async () => {
    const code = await readmeBlock("## Embed graft in your host", "js");
    const folder = path.join(project, "ts");
    await mkdir(folder, { recursive: true });
    await writeFile(path.join(folder, "example.ts"), code);
    // Misuses beside it: graft's types must catch them (so they are not `any`), the
    // runtime's internals are not in them, and each event's listener is typed.
    await writeFile(
      path.join(folder, "misuse.ts"),
      `import { createRuntime } from "graft";\nconst runtime = await createRuntime({ scripts: "scripts" });\nruntime.getClass(42);\n` +
        `runtime.vm; runtime.kernel; runtime.engine; runtime.bridge;\nruntime.on("relaod", () => {});\nruntime.on("leak", (leaks) => leaks.files);\n`,
    );
    await writeFile(
      path.join(folder, "tsconfig.json"),
      JSON.stringify({ compilerOptions: { target: "ES2022", module: "NodeNext", moduleResolution: "NodeNext", strict: true, noEmit: true, skipLibCheck: false, types: ["node"] }, include: ["*.ts"] }),
    );
    // The project's own tsc, as a user runs it.
    const result = await run(process.execPath, [path.join(project, "node_modules", "typescript", "bin", "tsc"), "-p", folder], { cwd: project, timeout: 120_000 }).catch((error: { stdout: string }) => error);
    const errors = result.stdout.split("\n").filter((line) => line.includes("error TS"));
    expect(errors).toEqual([
      expect.stringMatching(/^ts\/misuse\.ts\(3,18\): error TS2345: Argument of type .number. is not assignable to parameter of type .string./),
      expect.stringMatching(/^ts\/misuse\.ts\(4,9\): error TS2339: Property 'vm' does not exist/),
      expect.stringMatching(/^ts\/misuse\.ts\(4,21\): error TS2339: Property 'kernel' does not exist/),
      expect.stringMatching(/^ts\/misuse\.ts\(4,37\): error TS2339: Property 'engine' does not exist/),
      expect.stringMatching(/^ts\/misuse\.ts\(4,53\): error TS2339: Property 'bridge' does not exist/),
      expect.stringMatching(/^ts\/misuse\.ts\(5,12\): error TS2345: Argument of type '"relaod"'/),
      expect.stringMatching(/^ts\/misuse\.ts\(6,37\): error TS2339: Property 'files' does not exist on type 'LeakReport\[\]'/),
    ]);
  });

  it("type-checks a host with TypeScript's own libs only (no @types/node), and shows no internals", async () => {
    const folder = path.join(project, "bare");
    await mkdir(folder, { recursive: true });
    await writeFile(
      path.join(folder, "host.ts"),
      `import { createRuntime, GraftError, ScriptValue, type ScriptClass } from "graft";\n` +
        `const runtime = await createRuntime({ scripts: "scripts", onError: (error) => error.text });\n` +
        `const report = await runtime.reload(["commands/look.ts"], { force: true });\n` +
        `const classes: ScriptClass[] = runtime.findSubclasses("commands/base.ts#Command");\n` +
        `{ using value = runtime.evaluate("commands/look.ts", "1"); value.toHost(); }\n` +
        `export const seen = [report.ok, classes.length, runtime.heap.topClasses(5).length, GraftError.name];\n` +
        `runtime.dispose();\n`,
    );
    await writeFile(
      path.join(folder, "misuse.ts"),
      `import { ScriptValue } from "graft";\nimport type { ValueBridge, Vm, Kernel, HeapData } from "graft";\nexport const made = new ScriptValue();\n`,
    );
    await writeFile(
      path.join(folder, "tsconfig.json"),
      JSON.stringify({
        compilerOptions: { target: "ES2022", lib: ["ES2022", "ESNext.Disposable"], module: "NodeNext", moduleResolution: "NodeNext", strict: true, noEmit: true, skipLibCheck: false, types: [] },
        include: ["*.ts"],
      }),
    );
    const result = await run(process.execPath, [path.join(project, "node_modules", "typescript", "bin", "tsc"), "-p", folder], { cwd: project, timeout: 120_000 }).catch((error: { stdout: string }) => error);
    const errors = result.stdout.split("\n").filter((line) => line.includes("error TS"));
    expect(errors).toEqual([
      expect.stringMatching(/^bare\/misuse\.ts\(2,15\): error TS2305: Module '"graft"' has no exported member 'ValueBridge'/),
      expect.stringMatching(/^bare\/misuse\.ts\(2,28\): error TS2305: Module '"graft"' has no exported member 'Vm'/),
      expect.stringMatching(/^bare\/misuse\.ts\(2,32\): error TS2305: Module '"graft"' has no exported member 'Kernel'/),
      expect.stringMatching(/^bare\/misuse\.ts\(2,40\): error TS2305: Module '"graft"' has no exported member 'HeapData'/),
      expect.stringMatching(/^bare\/misuse\.ts\(3,21\): error TS2674: Constructor of class 'ScriptValue' is protected/),
    ]);
  });

  it("types scripts as the README's 'Types for scripts' says: the host module from the host's interface, and import.meta.hot", async () => {
    const folder = path.join(project, "typed");
    const blocks = await readmeBlocks("## Types for scripts");
    expect(blocks.map((block) => block.code.split("\n")[0])).toEqual(["// host/game-host.ts", "// host/main.ts", "// scripts/host.d.ts", "// scripts/tsconfig.json"]);
    for (const block of blocks) {
      const file = path.join(folder, block.code.split("\n")[0]!.slice(3));
      await mkdir(path.dirname(file), { recursive: true });
      await writeFile(file, block.code);
    }
    await writeFile(
      path.join(folder, "host", "tsconfig.json"),
      JSON.stringify({ compilerOptions: { target: "ES2022", module: "NodeNext", moduleResolution: "NodeNext", strict: true, noEmit: true, skipLibCheck: true, types: ["node"] }, include: ["*.ts"] }),
    );
    await writeFile(
      path.join(folder, "scripts", "hello.ts"),
      `import { send, log } from "host";\nconst data = import.meta.hot.data as { count?: number };\ndata.count = (data.count ?? 0) + 1;\nimport.meta.hot.dispose(() => log("bye"));\nexport class Hello { greet(connection: number) { send(connection, "hello " + data.count); } }\n`,
    );
    await writeFile(path.join(folder, "scripts", "misuse.ts"), `import { send } from "host";\nsend("everyone", 42);\nimport.meta.hot.reload();\n`);
    const tsc = path.join(project, "node_modules", "typescript", "bin", "tsc");
    const scripts = await run(process.execPath, [tsc, "-p", path.join(folder, "scripts")], { cwd: folder, timeout: 120_000 }).catch((error: { stdout: string }) => error);
    expect(scripts.stdout.split("\n").filter((line) => line.includes("error TS")).map((line) => line.replace(/:.*/, "").replace(/\\/g, "/"))).toEqual([
      "scripts/misuse.ts(2,6)",
      "scripts/misuse.ts(3,17)",
    ]);
    const host = await run(process.execPath, [tsc, "-p", path.join(folder, "host")], { cwd: folder, timeout: 120_000 }).catch((error: { stdout: string }) => error);
    expect(host.stdout).toBe("");
  });

  it("loads with require() from CommonJS, where Node supports require(esm)", async () => {
    const folder = path.join(project, "cjs");
    await mkdir(folder, { recursive: true });
    await writeFile(path.join(folder, "package.json"), JSON.stringify({ type: "commonjs" }));
    await writeFile(path.join(folder, "main.js"), `const { createRuntime, ScriptError } = require("graft");\nconsole.log(typeof createRuntime, typeof ScriptError);\n`);
    const { stdout, stderr } = await run(process.execPath, ["main.js"], { cwd: folder, timeout: 60_000 });
    expect(stdout.trim()).toBe("function function");
    expect(stderr).toBe("");
    const refused = await run(process.execPath, ["--no-experimental-require-module", "main.js"], { cwd: folder, timeout: 60_000 }).catch((error: { stderr: string }) => error);
    expect(refused.stderr).toContain("graft is an ES module package");
    expect(refused.stderr).toContain('import { createRuntime } from "graft"');
  });
});

/**
 * The package installed on its own, as a user's `npm install graft` does: no TypeScript
 * package (graft lowers decorators itself), and a small node_modules.
 */
describe("the packed package, installed alone", () => {
  let work: string;
  let project: string;

  beforeAll(async () => {
    work = await mkdtemp(path.join(tmpdir(), "graft-alone-"));
    const { stdout } = await run("npm", ["pack", "--ignore-scripts", "--json", "--pack-destination", work], { cwd: ROOT, timeout: 60_000 });
    const [info] = JSON.parse(stdout) as { filename: string }[];
    project = path.join(work, "host");
    await mkdir(project);
    await writeFile(path.join(project, "package.json"), JSON.stringify({ name: "host", private: true, type: "module" }));
    await run("npm", ["install", "--prefer-offline", "--no-audit", "--no-fund", path.join(work, info!.filename)], { cwd: project, timeout: 180_000 });
  }, 240_000);

  afterAll(async () => {
    if (work) await rm(work, { recursive: true, force: true });
  });

  it("installs no TypeScript, and runs standard and legacy decorators without it", async () => {
    const { readdir } = await import("node:fs/promises");
    expect(await readdir(path.join(project, "node_modules"))).not.toContain("typescript");
    const scripts = (folder: string, files: Record<string, string>) =>
      Promise.all(Object.entries(files).map(async ([file, text]) => {
        await mkdir(path.join(project, folder), { recursive: true });
        await writeFile(path.join(project, folder, file), text);
      }));
    await scripts("standard", {
      "unit.ts": `function logged(method: any, context: ClassMethodDecoratorContext) { return function (this: any) { return "logged " + String(context.name) + ": " + method.call(this); }; }
` +
        `function doubled(_: undefined, context: ClassFieldDecoratorContext) { return (v: number) => v * 2; }
` +
        `export class Unit { @doubled hp = 21; accessor mana = 3; @logged speak() { return this.hp + "/" + this.mana; } }
`,
    });
    await scripts("legacy", {
      "shop.ts": `function logged(target: any, key: string, descriptor: PropertyDescriptor) { const inner = descriptor.value; descriptor.value = function (this: any) { return "legacy " + key + ": " + inner.call(this); }; return descriptor; }
` +
        `export class Shop { @logged sell() { return "sold"; } }
`,
    });
    await writeFile(
      path.join(project, "decorated.mjs"),
      `import { createRuntime } from "graft";
` +
        `const standard = await createRuntime({ scripts: "standard" });
` +
        `console.log(standard.getClass("unit.ts", "Unit").new().call("speak").toHost());
` +
        `standard.dispose();
` +
        `const legacy = await createRuntime({ scripts: "legacy", decorators: "legacy" });
` +
        `console.log(legacy.getClass("shop.ts", "Shop").new().call("sell").toHost());
` +
        `legacy.dispose();
`,
    );
    const { stdout, stderr } = await run(process.execPath, ["decorated.mjs"], { cwd: project, timeout: 60_000 });
    expect(stderr).toBe("");
    expect(stdout.trim().split("\n")).toEqual(["logged speak: 42/3", "legacy sell: sold"]);
  });

  it("installs at most 15 MB of node_modules (du), with no oxc-transform: types are stripped on oxc-parser's one parse", async () => {
    const du = async (target: string): Promise<number> => Number((await run("du", ["-sk", target])).stdout.split("\t")[0]) * 1024;
    const { readdir } = await import("node:fs/promises");
    const modules = path.join(project, "node_modules");
    expect(await readdir(modules)).not.toContain("oxc-transform");
    expect(await du(modules)).toBeLessThanOrEqual(15 * 1024 * 1024);
  });
});

describe("the lock file", () => {
  // What a fresh clone's `npm install` would otherwise rewrite (a dirty `git status`), and
  // what `npm ci` refuses: the lock must agree with package.json and hold every platform's
  // optional native bindings.
  it("agrees with package.json, and records every optional dependency of every locked package", async () => {
    const { readFile } = await import("node:fs/promises");
    const manifest = JSON.parse(await readFile(path.join(ROOT, "package.json"), "utf8")) as Record<string, unknown>;
    const lock = JSON.parse(await readFile(path.join(ROOT, "package-lock.json"), "utf8")) as {
      packages: Record<string, { optionalDependencies?: Record<string, string>; version?: string } & Record<string, unknown>>;
    };
    const root = lock.packages[""]!;
    for (const key of ["name", "version", "dependencies", "devDependencies", "bin", "engines"]) expect([key, root[key]]).toEqual([key, manifest[key]]);
    const missing: string[] = [];
    for (const [location, entry] of Object.entries(lock.packages)) {
      for (const [name, range] of Object.entries(entry.optionalDependencies ?? {})) {
        const nested = `${location}/node_modules/${name}`;
        const found = lock.packages[nested] ?? lock.packages[`node_modules/${name}`];
        if (!found) missing.push(`${name}@${range} (for ${location})`);
      }
    }
    expect(missing).toEqual([]);
  });
});
