import { describe, expect, it } from "vitest";
import { GraftError, ScriptError, type HostArg, type ReloadError } from "../host-api/index.js";
import { runtimeFor, scriptsFolder } from "./helpers.js";

/** A promise the test settles by hand: the host's side of an async host function. */
function deferred<T>(): { promise: Promise<T>; resolve: (value: T) => void; reject: (error: unknown) => void } {
  let resolve!: (value: T) => void;
  let reject!: (error: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

class HostRecord {
  constructor(readonly id: number) {}
}

describe("async host functions", () => {
  it("give scripts VM promises that settle with the host's value or error", async () => {
    const folder = await scriptsFolder({
      "a.ts": `import { fetchPlayer } from "host";
export async function describe(id: number) {
  const player = await fetchPlayer(id);
  const friend = await fetchPlayer(player.friend);
  return player.name + " and " + friend.name;
}
export async function missing() {
  try { await fetchPlayer(-1); return "found"; } catch (error) { return (error as Error).name + ": " + (error as Error).message; }
}`,
    });
    const players: Record<number, { name: string; friend: number }> = { 1: { name: "Ann", friend: 2 }, 2: { name: "Bob", friend: 1 } };
    const runtime = await runtimeFor(folder, {
      host: {
        fetchPlayer: async (id: HostArg) => {
          await new Promise((resolve) => setImmediate(resolve));
          const player = players[id as number];
          if (!player) throw new RangeError(`no player ${String(id)}`);
          return player;
        },
      },
    });
    const a = runtime.exports("a.ts");
    // Two host round trips: the jobs each settlement queues run without any further host call.
    expect((await a.describe!.invoke(1).promise()).toHost()).toBe("Ann and Bob");
    expect((await a.missing!.invoke().promise()).toHost()).toBe("RangeError: no player -1");
  });

  it("a value that cannot cross rejects inside the script with the error a synchronous host function gives", async () => {
    const folder = await scriptsFolder({
      "a.ts": `import { later, now } from "host";
export async function viaAsync(kind: string) { try { await later(kind); return "crossed"; } catch (error) { return (error as Error).message; } }
export function viaSync(kind: string) { try { now(kind); return "crossed"; } catch (error) { return (error as Error).message; } }`,
    });
    const make = (kind: HostArg): unknown => (kind === "date" ? new Date(0) : kind === "map" ? new Map([[1, 2]]) : new HostRecord(7));
    const runtime = await runtimeFor(folder, { host: { later: async (kind: HostArg) => make(kind), now: (kind: HostArg) => make(kind) } });
    const a = runtime.exports("a.ts");
    for (const [kind, type] of [["date", "Date"], ["map", "Map"], ["record", "HostRecord"]] as const) {
      const asyncMessage = (await a.viaAsync!.invoke(kind).promise()).toHost() as string;
      const syncMessage = a.viaSync!.invoke(kind).toHost() as string;
      expect(asyncMessage).toBe(`cannot pass the value host function later resolved to (a ${type}) to a script: only plain objects, arrays, primitives, functions and ScriptValues cross; convert it to plain data first`);
      expect(syncMessage).toBe(`cannot pass the value returned by host function now (a ${type}) to a script: only plain objects, arrays, primitives, functions and ScriptValues cross; convert it to plain data first`);
    }
    // The runtime is intact afterwards.
    expect((await a.viaAsync!.invoke("date").promise()).toHost()).toContain("(a Date)");
  });

  it("dispose() while scripts await host promises is clean; settling afterwards does nothing", async () => {
    const folder = await scriptsFolder({
      "a.ts": `import { wait, log } from "host";
export async function load() { const value = await wait(); log("resumed with " + value); }`,
    });
    const pending = [deferred<unknown>(), deferred<unknown>(), deferred<unknown>()];
    let next = 0;
    const logged: HostArg[] = [];
    const runtime = await runtimeFor(folder, { host: { wait: () => pending[next++]!.promise, log: (text: HostArg) => logged.push(text) } });
    const load = runtime.exports("a.ts").load!;
    const awaiting = [load.invoke(), load.invoke(), load.invoke()];
    const result = awaiting[0]!.promise();
    runtime.dispose();
    await expect(result).rejects.toThrow(GraftError);
    await expect(result).rejects.toThrow(/disposed before the script's promise settled/);
    pending[0]!.resolve("late");
    pending[1]!.reject(new Error("late failure"));
    pending[2]!.resolve({ nested: [1, 2] });
    await new Promise((resolve) => setImmediate(resolve));
    expect(logged).toEqual([]);
    // Values the host still holds fail clearly.
    expect(() => load.invoke()).toThrow(GraftError);
    expect(() => load.toHost()).toThrow(/disposed/);
    expect(() => load.set("x", 1)).toThrow(/disposed/);
    expect(() => load.isSame(awaiting[1]!)).toThrow(/disposed/);
    expect(() => runtime.exports("a.ts")).toThrow(/disposed/);
    expect(() => awaiting[1]!.get("then")).toThrow(/disposed/);
    await expect(awaiting[2]!.promise()).rejects.toThrow(GraftError);
  });
});

describe("ScriptValue.promise()", () => {
  it("resolves with the fulfilled value, owned by the caller, or rejects with a ScriptError with the script's stack", async () => {
    const folder = await scriptsFolder({
      "p.ts": `export class Item { constructor(public name: string) {} }
export async function make(name: string) { await null; return new Item(name); }
export async function fail() {
  await null;
  throw new TypeError("broken on purpose");
}
export function plain() { return 42; }`,
    });
    const runtime = await runtimeFor(folder);
    const p = runtime.exports("p.ts");
    const item = await p.make!.invoke("sword").promise();
    expect(item.instanceOf(runtime.getClass("p.ts", "Item"))).toBe(true);
    expect(item.read("name")).toBe("sword");
    const failure = await p.fail!.invoke().promise().catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(ScriptError);
    expect((failure as ScriptError).scriptName).toBe("TypeError");
    expect((failure as ScriptError).message).toContain("broken on purpose at p.ts:5:");
    expect((failure as ScriptError).scriptStack).toMatch(/at fail \(p\.ts:5:\d+\)/);
    // Not a promise: resolves to the value, as `await` would.
    expect((await p.plain!.invoke().promise()).toHost()).toBe(42);
    expect((await item.promise()).isSame(item)).toBe(true);
  });

  it("toHost() of a promise is a clear error pointing to promise(), and leaves the value usable", async () => {
    const folder = await scriptsFolder({ "p.ts": `export async function later() { await null; await null; return { ok: true }; }\nexport const pending = new Promise(() => {});` });
    const runtime = await runtimeFor(folder);
    const value = runtime.exports("p.ts").later!.invoke();
    expect(() => value.toHost()).toThrow(/toHost\(\) cannot copy a promise \(this one is fulfilled\): await value\.promise\(\)/);
    expect((await value.promise()).toHost()).toEqual({ ok: true });
    const pending = runtime.exports("p.ts").pending!;
    expect(() => pending.toHost()).toThrow(/this one is pending/);
    expect(pending.alive).toBe(true);
  });
});

describe("promise jobs", () => {
  it("a job chain that reschedules itself is stopped at the timeout and reported once; later calls are unaffected", async () => {
    const folder = await scriptsFolder({
      "loop.ts": `export const counter = { jobs: 0 };
export function spin() {
  const again = () => { counter.jobs++; Promise.resolve().then(again); };
  again();
  return "started";
}
export function ping() { return "pong"; }`,
    });
    const runtime = await runtimeFor(folder, { timeout: 150 });
    const errors: ReloadError[] = [];
    runtime.on("error", (error) => errors.push(error));
    const loop = runtime.exports("loop.ts");
    expect(loop.spin!.invoke().toHost()).toBe("started");
    expect(errors).toHaveLength(1);
    expect(errors[0]!.origin).toBe("promise job");
    expect(errors[0]!.message).toBe("a promise job (an async function or then-callback) from loop.ts ran longer than the timeout of 150 ms and was stopped");
    expect(errors[0]!.file).toBe("loop.ts");
    const jobs = loop.counter!.read("jobs") as number;
    expect(jobs).toBeGreaterThan(10);
    expect(loop.ping!.invoke().toHost()).toBe("pong");
    expect(loop.counter!.read("jobs")).toBe(jobs);
    expect(errors).toHaveLength(1);
  });
});

describe("dispose() from inside a call into the VM", () => {
  const QUIT = `import { quit, log } from "host";
export function fromCall() { quit(); log("after quit"); return "returned"; }
export function later() { setTimeout(() => { quit(); log("timer after quit"); queueMicrotask(() => log("microtask after quit")); }, 1); }`;

  it("a host function disposing the runtime while a timer callback runs it: the callback finishes, nothing runs afterwards, no abort", async () => {
    const logged: HostArg[] = [];
    let disposed!: () => void;
    const quitCalled = new Promise<void>((resolve) => (disposed = resolve));
    const folder = await scriptsFolder({ "q.ts": QUIT });
    let runtime: Awaited<ReturnType<typeof runtimeFor>>;
    runtime = await runtimeFor(folder, {
      host: {
        quit: () => {
          runtime.dispose();
          disposed();
        },
        log: (text: HostArg) => logged.push(text),
      },
    });
    const later = runtime.exports("q.ts").later!;
    later.invoke();
    await quitCalled;
    await new Promise((resolve) => setImmediate(resolve));
    expect(runtime.alive).toBe(false);
    expect(logged).toEqual(["timer after quit"]);
    expect(() => later.invoke()).toThrow(GraftError);
  });

  it("a host function disposing the runtime during a reload's evaluation: the reload rejects clearly", async () => {
    const folder = await scriptsFolder({ "q.ts": `export const version = 1;` });
    let runtime: Awaited<ReturnType<typeof runtimeFor>>;
    runtime = await runtimeFor(folder, { host: { quit: () => runtime.dispose() } });
    await folder.write("q.ts", `import { quit } from "host";\nexport class Q {}\nquit();\nexport const version = 2;`);
    await expect(runtime.reload(["q.ts"])).rejects.toThrow(new GraftError("the runtime was disposed while this reload was under way; nothing was applied"));
    expect(runtime.alive).toBe(false);
  });

  it("a host function disposing the runtime during a host->script call: the call returns, its value is disposed with the runtime", async () => {
    const logged: HostArg[] = [];
    const folder = await scriptsFolder({ "q.ts": QUIT });
    let runtime: Awaited<ReturnType<typeof runtimeFor>>;
    runtime = await runtimeFor(folder, { host: { quit: () => runtime.dispose(), log: (text: HostArg) => logged.push(text) } });
    const fromCall = runtime.exports("q.ts").fromCall!;
    const result = fromCall.invoke();
    expect(result.toHost()).toBe("returned");
    expect(() => fromCall.invoke()).toThrow(/disposed/);
    await new Promise((resolve) => setImmediate(resolve));
    expect(logged).toEqual(["after quit"]);
    expect(() => runtime.files()).toThrow(GraftError);
    // Another runtime in the same process is unaffected.
    const other = await runtimeFor(await scriptsFolder({ "a.ts": "export const ok = 1;" }));
    expect(other.exports("a.ts").ok!.toHost()).toBe(1);
  });
});

