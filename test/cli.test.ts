import { execFile, spawn, type ChildProcess } from "node:child_process";
import { readFile } from "node:fs/promises";
import path from "node:path";
import { promisify } from "node:util";
import { afterEach, describe, expect, it } from "vitest";
import { ROOT } from "./readme.js";
import { scriptsFolder, waitFor } from "./helpers.js";

/** The built CLI, as `graft` runs it once installed (npm test builds first). */
const CLI = path.join(ROOT, "dist", "cli", "graft.js");

async function graft(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await promisify(execFile)(process.execPath, [CLI, ...args], { timeout: 60_000 });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const failed = error as { code: number; stdout: string; stderr: string };
    return { code: failed.code, stdout: failed.stdout, stderr: failed.stderr };
  }
}

describe("graft check <folder>", () => {
  it("exits 0 when every script loads", async () => {
    const folder = await scriptsFolder({ "a.ts": `export class A {}\n`, "b.ts": `import { A } from "./a";\nexport class B extends A {}\n` });
    const result = await graft("check", folder.root);
    expect(result).toMatchObject({ code: 0, stderr: "" });
    expect(result.stdout).toMatch(/^\[load\] 2 scripts, 2 classes in \d+ ms\nok: every script of .* loads\n$/);
  });

  it("prints each error with file:line:column and a code frame, and exits 1", async () => {
    const folder = await scriptsFolder({
      "good.ts": `export class Good {}\n`,
      "broken.ts": `export class Broken {\n  run() { return 1 +; }\n}\n`,
      "needs.ts": `import { Gone } from "./gone";\nexport class Needs extends Gone {}\n`,
    });
    const result = await graft("check", folder.root);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain("broken.ts:2:21: syntax error");
    expect(result.stderr).toContain(">  2 |   run() { return 1 +; }".replace(">  2", "> 2"));
    expect(result.stderr).toContain("cannot find './gone' imported by needs.ts");
    expect(result.stdout).toContain("2 scripts failed to load");
  });

  it("uses a host module given with --host, and exits 2 for a usage error", async () => {
    const folder = await scriptsFolder({ "hello.ts": `import { log } from "host";\nlog("hello from " + import.meta.url);\n` });
    await folder.write("../host-stub.mjs", `export default { log: (text) => console.log("[host] " + text) };\n`);
    const result = await graft("check", folder.root, "--host", path.join(folder.root, "../host-stub.mjs"));
    expect(result.code).toBe(0);
    expect(result.stdout).toContain("[host] hello from graft:hello.ts");
    // without it, the host function is missing: the error says where
    const bare = await graft("check", folder.root);
    expect(bare.code).toBe(1);
    // A failed call is placed at what is called, as Node places it (call-sites.ts).
    expect(bare.stderr).toContain("hello.ts:2:1: TypeError: not a function");
    expect(await graft("check", path.join(folder.root, "nope"))).toMatchObject({ code: 2, stderr: expect.stringContaining(`the scripts folder '${path.join(folder.root, "nope")}'`) });
    expect(await graft("lint", folder.root)).toMatchObject({ code: 2, stderr: expect.stringContaining("unknown command 'lint'") });
  });
});

describe("graft's usage", () => {
  it("--version and --help answer; usage errors name the argument given", async () => {
    const { version } = JSON.parse(await readFile(path.join(ROOT, "package.json"), "utf8")) as { version: string };
    expect(await graft("--version")).toEqual({ code: 0, stdout: `graft ${version}\n`, stderr: "" });
    expect(await graft("--help")).toMatchObject({ code: 0, stdout: expect.stringContaining("graft check <scripts-folder>"), stderr: "" });
    expect(await graft("check", "--verbose")).toMatchObject({ code: 2, stderr: expect.stringMatching(/^graft: unknown option '--verbose'\nusage:/) });
    expect(await graft("check", "/no/such/folder")).toMatchObject({
      code: 2,
      stderr: "graft: the scripts folder '/no/such/folder' (/no/such/folder) does not exist; give the folder of scripts: graft check <scripts-folder>\n",
    });
    const folder = await scriptsFolder({ "a.ts": `export class A {}\n` });
    expect(await graft("check", folder.root, "--host", "/no/such/host.mjs")).toMatchObject({ code: 2, stderr: expect.stringMatching(/^graft: --host \/no\/such\/host\.mjs: cannot load the module/) });
    expect(await graft("check", folder.root, "--timeout", "soon")).toMatchObject({ code: 2, stderr: expect.stringContaining("--timeout must be a number of milliseconds, got 'soon'") });
  });
});

describe("graft repl <folder>", () => {
  let child: ChildProcess | undefined;
  afterEach(() => {
    if (child && child.exitCode === null) child.kill("SIGKILL");
  });

  it("evaluates in a script's own scope, follows saves, switches files, and exits on .exit", async () => {
    const folder = await scriptsFolder({
      "base.ts": `export class Base { hello() { return "base"; } }\n`,
      "sub.ts": `import { Base } from "./base";\nconst secret: number = 41;\nexport class Sub extends Base {}\n`,
    });
    const repl = spawn(process.execPath, [CLI, "repl", folder.root, "--file", "sub.ts"], { stdio: ["pipe", "pipe", "pipe"] });
    child = repl;
    let out = "";
    repl.stdout!.setEncoding("utf8").on("data", (chunk: string) => (out += chunk));
    repl.stderr!.setEncoding("utf8").on("data", (chunk: string) => (out += chunk));
    const exited = new Promise<number | null>((resolve) => repl.once("exit", (code) => resolve(code)));
    /** Types a line and returns what the REPL printed before its next prompt. */
    const type = async (line: string, prompt = /graft \S+> $/): Promise<string> => {
      const from = out.length;
      repl.stdin!.write(`${line}\n`);
      await waitFor(() => prompt.test(out.slice(from)) && !out.slice(from).endsWith("... "), 20_000, `the answer to '${line}'; output so far:\n${out}`);
      return out.slice(from).replace(prompt, "").trim();
    };
    await waitFor(() => out.includes("graft sub.ts> "), 20_000, `the first prompt; output:\n${out}`);
    expect(out).toMatch(/^\[load\] 2 scripts, 2 classes/);

    expect(await type("typeof Sub")).toBe("'function'");
    expect(await type("secret + 1")).toBe("42");
    expect(await type("new Sub().hello()")).toBe("'base'");
    expect(await type("Sub")).toBe("ScriptClass Sub (sub.ts v1)");
    expect(await type("missing")).toMatch(/^Uncaught .*ReferenceError: 'missing' is not defined/);
    // an unfinished line reads on
    repl.stdin!.write("const x: number =\n");
    await waitFor(() => out.endsWith("... "), 20_000, `the continuation prompt; output:\n${out}`);
    expect(await type("secret; x * 2")).toBe("82");

    // a save is picked up by the watcher and reported; the prompt then sees the new version
    const from = out.length;
    await folder.write("sub.ts", `import { Base } from "./base";\nconst secret: number = 99;\nexport class Sub extends Base { hello() { return "sub"; } }\n`);
    await waitFor(() => /\[reload\] sub\.ts in[\s\S]*graft sub\.ts> $/.test(out.slice(from)), 20_000, `the reload line, then the prompt again; output:\n${out}`);
    expect(out.slice(from)).toContain("Sub: patched to v2 (members +hello)");
    expect(await type("[secret, new Sub().hello()]")).toBe("ScriptValue Array(2) [ 99, 'sub' ]");

    // .reload <file> re-runs it as it is (as the demo's @reload <file> does); a typo is named
    const forced = out.length;
    repl.stdin!.write(".reload sub.ts\n");
    await waitFor(() => /\[reload\] sub\.ts in[\s\S]*graft sub\.ts> $/.test(out.slice(forced)), 20_000, `the forced reload, then the prompt again; output:\n${out}`);
    expect(await type(".reload nosuch.ts")).toMatch(/reload failed: reload\(files\): 'nosuch\.ts' is not on disk/);

    await type(".file base.ts", /graft base\.ts> $/);
    expect(await type("typeof Sub", /graft base\.ts> $/)).toBe("'undefined'");
    expect(await type(".file nope.ts", /graft base\.ts> $/)).toContain("nope.ts is not loaded (loaded: base.ts, sub.ts)");
    repl.stdin!.write(".exit\n");
    expect(await exited).toBe(0);
  });
});
