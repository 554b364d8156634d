import { describe, expect, it } from "vitest";
import type { HostArg } from "../host-api/index.js";
import { runtimeFor, scriptsFolder } from "./helpers.js";

/** What scripts log through the host, in order; `until` waits for what scripts did, never for time. */
class Log {
  readonly lines: string[] = [];
  private waiters: { test: () => boolean; resolve: () => void }[] = [];

  readonly log = (line: HostArg): void => {
    this.lines.push(String(line));
    this.waiters = this.waiters.filter((waiter) => !(waiter.test() && (waiter.resolve(), true)));
  };

  until(test: (lines: string[]) => boolean): Promise<void> {
    if (test(this.lines)) return Promise.resolve();
    return new Promise((resolve) => this.waiters.push({ test: () => test(this.lines), resolve }));
  }
}

function deferred<T>(): { promise: Promise<T>; resolve: (value: T) => void } {
  let resolve!: (value: T) => void;
  const promise = new Promise<T>((res) => (resolve = res));
  return { promise, resolve };
}

// Cases after test262's test/language/module-code/top-level-await, in graft's terms: each
// file has its own globals, so modules report through the host's `log` instead of globalThis.
describe("top-level await: module semantics", () => {
  it("the load waits for it; importers run after it and see its values (module-import-resolution, dfs-invariant)", async () => {
    const log = new Log();
    const folder = await scriptsFolder({
      "async.ts": `import { log, fetchConfig } from "host";
log("async start");
export const config = await fetchConfig();
await 0;
log("async end");`,
      "direct-1.ts": `import { log } from "host";\nimport { config } from "./async";\nlog("direct-1 sees " + config.speed);`,
      "direct-2.ts": `import { log } from "host";\nimport "./async";\nlog("direct-2");`,
      "indirect.ts": `import { log } from "host";\nimport "./direct-1";\nlog("indirect");`,
      // The entry of test262's test: its imports evaluate in its order.
      "main.ts": `import "./direct-1";\nimport "./direct-2";\nimport "./indirect";`,
    });
    const runtime = await runtimeFor(folder, {
      host: { log: log.log, fetchConfig: () => new Promise((resolve) => setImmediate(() => resolve({ speed: 3 }))) },
    });
    expect(runtime.initialReport.errors).toEqual([]);
    expect(log.lines).toEqual(["async start", "async end", "direct-1 sees 3", "direct-2", "indirect"]);
    expect(runtime.exports("async.ts").config!.toHost()).toEqual({ speed: 3 });
  });

  it("awaits thenables: a callable then is followed, a non-callable then gives the object, a throwing then rejects (await-awaits-thenable*)", async () => {
    const folder = await scriptsFolder({
      "thenables.ts": `export const followed = await { then(resolve: (value: string) => void) { resolve("followed"); } };
const plain = { then: 42 };
export const sameObject = (await plain) === plain;
const error = { reason: "thrown by then" };
export let caught: unknown;
try { await { then() { throw error; } }; } catch (e) { caught = e; }
export const caughtIsError = caught === error;`,
    });
    const runtime = await runtimeFor(folder);
    const exports = runtime.exports("thenables.ts");
    expect(exports.followed!.toHost()).toBe("followed");
    expect(exports.sameObject!.toHost()).toBe(true);
    expect(exports.caughtIsError!.toHost()).toBe(true);
  });

  it("a rejected top-level await fails the file with the script's error; its importers are not loaded and say why (module-import-rejection)", async () => {
    const folder = await scriptsFolder({
      "broken.ts": `export default 42;
await Promise.resolve().then(() => Promise.reject(new RangeError("first rejection")));
await Promise.reject(new TypeError("never reached"));`,
      "importer.ts": `import value from "./broken";\nexport const seen = value;`,
    });
    const runtime = await runtimeFor(folder);
    const errors = runtime.initialReport.errors;
    expect(errors.map((error) => error.file).sort()).toEqual(["broken.ts", "importer.ts"]);
    const broken = errors.find((error) => error.file === "broken.ts")!;
    expect(broken.message).toBe("RangeError: first rejection");
    expect(broken.position).toEqual({ file: "broken.ts", line: 2, column: expect.any(Number) });
    expect(errors.find((error) => error.file === "importer.ts")!.message).toBe("not loaded: it imports broken.ts, which failed to load");
    expect(runtime.files()).toEqual([]);
  });

  it("awaits in nested blocks, loops and for await at the top level (syntax/block-await-*, for-await)", async () => {
    const folder = await scriptsFolder({
      "blocks.ts": `export const seen: unknown[] = [];
if (await true) { seen.push(await "if"); }
for (const value of [1, 2]) seen.push(await value);
for await (const value of [Promise.resolve("a"), "b"]) seen.push(value);
{ seen.push(await new Promise((resolve) => resolve(\`template \${"nested"}\`))); }
try { await Promise.reject(new Error("caught")); } catch (error) { seen.push((error as Error).message); }
export class AfterAwait { static ready = seen.length; }`,
    });
    const runtime = await runtimeFor(folder);
    expect(runtime.exports("blocks.ts").seen!.toHost()).toEqual(["if", 1, 2, "a", "b", "template nested", "caught"]);
    expect(runtime.getClass("blocks.ts", "AfterAwait").read("ready")).toBe(7);
  });

  it("a cycle of files that await evaluates as ES modules would, each dependency's await first (pending-async-dep-from-cycle)", async () => {
    // As in test262's test, the entry imports the cycle's root first, then the importer.
    const log = new Log();
    const folder = await scriptsFolder({
      "a-cycle-root.ts": `import { log } from "host";\nimport "./b-cycle-leaf";\nlog("cycle root start");\nawait 1;\nlog("cycle root end");`,
      "b-cycle-leaf.ts": `import { log } from "host";\nimport "./a-cycle-root";\nlog("cycle leaf start");\nawait 1;\nlog("cycle leaf end");`,
      "c-importer.ts": `import { log } from "host";\nimport "./b-cycle-leaf";\nlog("importer of cycle leaf");`,
      "main.ts": `import "./a-cycle-root";\nimport "./c-importer";`,
    });
    const runtime = await runtimeFor(folder, { host: { log: log.log } });
    expect(runtime.initialReport.errors).toEqual([]);
    expect(log.lines).toEqual(["cycle leaf start", "cycle leaf end", "cycle root start", "cycle root end", "importer of cycle leaf"]);
  });

  it("a sibling that does not import a waiting file still runs after it: graft evaluates one file at a time (a listed divergence)", async () => {
    const log = new Log();
    const folder = await scriptsFolder({
      "a-tla.ts": `import { log } from "host";\nexport let check = false;\nlog("tla start");\nawait 0;\ncheck = true;\nlog("tla end");`,
      "b-sync.ts": `import { log } from "host";\nlog("sync sibling");`,
    });
    const runtime = await runtimeFor(folder, { host: { log: log.log } });
    expect(runtime.initialReport.errors).toEqual([]);
    // ES would run the sibling while a-tla.ts awaits (async-module-does-not-block-sibling-modules).
    expect(log.lines).toEqual(["tla start", "tla end", "sync sibling"]);
  });
});

describe("top-level await: reloads", () => {
  it("the reload transaction waits for it, and applies the new version at commit", async () => {
    const log = new Log();
    const version = (n: number) => `import { log, fetchSpeed } from "host";
export const speed = await fetchSpeed(${n});
export class Horse { gallop() { return "v${n} at " + speed; } }
log("v${n} evaluated");`;
    const folder = await scriptsFolder({ "horse.ts": version(1) });
    const runtime = await runtimeFor(folder, { host: { log: log.log, fetchSpeed: async (n: HostArg) => (n as number) * 10 } });
    const horse = runtime.getClass("horse.ts", "Horse").new();
    expect(horse.call("gallop").toHost()).toBe("v1 at 10");
    await folder.write("horse.ts", version(2));
    const report = await runtime.reload(["horse.ts"]);
    expect(report.ok).toBe(true);
    expect(report.patched.map((patch) => `${patch.name} v${patch.version}`)).toEqual(["Horse v2"]);
    expect(horse.call("gallop").toHost()).toBe("v2 at 20");
  });

  it("a reload whose top-level await does not settle within the timeout rolls back; the abandoned version can define nothing later", async () => {
    const log = new Log();
    const gate = deferred<string>();
    const folder = await scriptsFolder({
      "gate.ts": `import { log } from "host";\nexport class Gate { state() { return "v1"; } }\nsetInterval(() => log("v1 tick"), 2);`,
      "user.ts": `import { Gate } from "./gate";\nexport function check() { return new Gate().state(); }`,
    });
    const runtime = await runtimeFor(folder, { timeout: 200, host: { log: log.log, waitForGate: () => gate.promise } });
    await log.until((lines) => lines.includes("v1 tick"));
    await folder.write("gate.ts", `import { log, waitForGate } from "host";
export class Gate { state() { return "v2"; } }
log("v2 waits");
log("v2 resumed with " + await waitForGate());
export class Late { }`);
    const report = await runtime.reload(["gate.ts"]);
    expect(report.ok).toBe(false);
    expect(report.errors[0]!.message).toBe("top-level await did not settle within the timeout of 200 ms");
    expect(report.errors[0]!.text).toContain("the reload was rolled back");
    // Everything of v1 is as it was: class, exports, its timers.
    expect(runtime.exports("user.ts").check!.invoke().toHost()).toBe("v1");
    expect(runtime.getClass("gate.ts", "Gate").version).toBe(1);
    const ticks = log.lines.filter((line) => line === "v1 tick").length;
    await log.until((lines) => lines.filter((line) => line === "v1 tick").length >= ticks + 3);
    // The host's promise settles late: v2's code resumes, but cannot define its class or touch v1.
    gate.resolve("late");
    await log.until((lines) => lines.includes("v2 resumed with late"));
    await new Promise((resolve) => setImmediate(resolve));
    expect(runtime.exports("user.ts").check!.invoke().toHost()).toBe("v1");
    expect(() => runtime.getClass("gate.ts", "Late")).toThrow(/defines no top-level class 'Late'/);
    expect(Object.keys(runtime.exports("gate.ts"))).toEqual(["Gate"]);
  });

  it("a rejected top-level await rolls the whole batch back", async () => {
    const folder = await scriptsFolder({
      "a.ts": `export class A { v() { return 1; } }`,
      "b.ts": `import { A } from "./a";\nexport class B extends A { w() { return 1; } }`,
    });
    const runtime = await runtimeFor(folder);
    await folder.write("a.ts", `export class A { v() { return 2; } }`);
    await folder.write("b.ts", `import { A } from "./a";\nexport class B extends A { w() { return 2; } }\nawait null;\nthrow new Error("b failed after awaiting");`);
    const report = await runtime.reload(["a.ts", "b.ts"]);
    expect(report.ok).toBe(false);
    expect(report.errors[0]!.message).toBe("Error: b failed after awaiting");
    expect(report.errors[0]!.position).toEqual({ file: "b.ts", line: 4, column: expect.any(Number) });
    const b = runtime.getClass("b.ts", "B").new();
    expect([b.call("v").toHost(), b.call("w").toHost()]).toEqual([1, 1]);
  });

  it("while a version awaits, its own timers fire and own what they start; other timers wait for the commit", async () => {
    const log = new Log();
    const folder = await scriptsFolder({
      "clock.ts": `import { log } from "host";\nsetInterval(() => log("clock"), 1);`,
      "slow.ts": `export const version = 0;`,
    });
    const runtime = await runtimeFor(folder, { timeout: 2000, host: { log: log.log } });
    await log.until((lines) => lines.filter((line) => line === "clock").length >= 2);
    await folder.write("slow.ts", `import { log } from "host";
log("slow start");
for (let i = 0; i < 5; i++) await new Promise((resolve) => setTimeout(resolve, 2));
setInterval(() => log("slow tick"), 1);
log("slow end");
export const version = 1;`);
    const report = await runtime.reload(["slow.ts"]);
    expect(report.ok).toBe(true);
    const start = log.lines.indexOf("slow start");
    const end = log.lines.indexOf("slow end");
    expect(end).toBeGreaterThan(start);
    expect(log.lines.slice(start, end + 1).filter((line) => line === "clock")).toEqual([]);
    await log.until((lines) => lines.filter((line) => line === "slow tick").length >= 2);
    // The interval started after the await belongs to that version: the next reload cancels it.
    await folder.write("slow.ts", `export const version = 2;`);
    expect((await runtime.reload(["slow.ts"])).ok).toBe(true);
    const replaced = log.lines.length;
    await log.until((lines) => lines.slice(replaced).filter((line) => line === "clock").length >= 5);
    expect(log.lines.slice(replaced)).not.toContain("slow tick");
  });

  it("dispose() while a reload awaits a top-level await: the reload rejects clearly, nothing runs afterwards", async () => {
    const log = new Log();
    const gate = deferred<string>();
    const folder = await scriptsFolder({ "a.ts": `export const version = 1;` });
    const runtime = await runtimeFor(folder, { timeout: 5000, host: { log: log.log, waitForGate: () => gate.promise } });
    await folder.write("a.ts", `import { log, waitForGate } from "host";\nlog("waiting");\nexport const value = await waitForGate();\nlog("resumed");`);
    const reloading = runtime.reload(["a.ts"]);
    await log.until((lines) => lines.includes("waiting"));
    runtime.dispose();
    await expect(reloading).rejects.toThrow(/disposed while this reload was under way; nothing was applied/);
    gate.resolve("late");
    await new Promise((resolve) => setImmediate(resolve));
    expect(log.lines).toEqual(["waiting"]);
  });
});
