import { describe, expect, it } from "vitest";
import { ScriptValue, type HostArg } from "../host-api/index.js";
import { runtimeFor, scriptsFolder } from "./helpers.js";

describe("marshalling between host and scripts", () => {
  it("copies plain data, passes class instances and functions by reference, both ways", async () => {
    const received: HostArg[][] = [];
    const folder = await scriptsFolder({
      "p.ts": `import { send } from "host";
export class Player { constructor(public name: string) {} greet(other: Player) { return this.name + " greets " + other.name; } }
export function talk(player: Player) { send(player, { text: "hi", tags: ["a", 1, null], nested: { ok: true } }, () => 42); }
export function echo(value: unknown) { return value; }`,
    });
    // Values passed to a host function are released when it returns, unless kept.
    const keep = (arg: HostArg): HostArg => (arg instanceof ScriptValue ? arg.keep() : arg);
    const runtime = await runtimeFor(folder, { host: { send: (...args: HostArg[]) => { received.push(args.map(keep)); } } });
    const Player = runtime.getClass("p.ts", "Player");
    const ann = Player.new("Ann");
    const bob = Player.new("Bob");
    expect(ann.call("greet", bob).toHost()).toBe("Ann greets Bob");
    runtime.exports("p.ts").talk!.invoke(ann).dispose();
    const [player, message, callback] = received[0]!;
    expect(player).toBeInstanceOf(ScriptValue);
    expect((player as ScriptValue).isSame(ann)).toBe(true);
    expect(message).toEqual({ text: "hi", tags: ["a", 1, null], nested: { ok: true } });
    expect((callback as ScriptValue).invoke().toHost()).toBe(42);
    const echo = runtime.exports("p.ts").echo!;
    expect(echo.invoke({ a: [1, { b: "c" }] }).toHost()).toEqual({ a: [1, { b: "c" }] });
    expect(echo.invoke(10n).toHost()).toBe(10n);
    expect(echo.invoke(null).toHost()).toBeNull();
    expect(echo.invoke(ann).isSame(ann)).toBe(true);
    expect(ann.read("name")).toBe("Ann");
    expect(Player.read("name")).toBe("Player");
  });

  it("a host function returning a promise resolves inside the script", async () => {
    const folder = await scriptsFolder({
      "a.ts": `import { fetchName } from "host"; export const state = { name: "" }; export async function load() { state.name = await fetchName(7); }`,
    });
    const runtime = await runtimeFor(folder, { host: { fetchName: async (id: HostArg) => `player-${String(id)}` } });
    const loading = runtime.exports("a.ts").load!.invoke();
    (await loading.promise()).dispose();
    loading.dispose();
    expect(runtime.exports("a.ts").state!.get("name").toHost()).toBe("player-7");
  });

  it("script errors reach the host as ScriptError with the script's stack", async () => {
    const folder = await scriptsFolder({ "e.ts": `export function outer() { inner(); }\nfunction inner() {\n  throw new RangeError("too far");\n}` });
    const runtime = await runtimeFor(folder);
    try {
      runtime.exports("e.ts").outer!.invoke();
      expect.unreachable();
    } catch (error) {
      const scriptError = error as { name: string; scriptName: string; message: string; scriptStack: string };
      expect(scriptError.name).toBe("ScriptError");
      expect(scriptError.scriptName).toBe("RangeError");
      expect(scriptError.message).toContain("too far");
      expect(scriptError.scriptStack).toMatch(/at inner \(e\.ts:3:\d+\)\n\s+at outer \(e\.ts:1:\d+\)/);
    }
  });

  it("disposed values and disposed runtimes fail clearly, and dispose is clean", async () => {
    const folder = await scriptsFolder({ "a.ts": `export class A {}` });
    const runtime = await runtimeFor(folder);
    const A = runtime.getClass("a.ts", "A");
    const a = A.new();
    a.dispose();
    expect(() => a.call("x")).toThrow(/disposed/);
    runtime.dispose();
    expect(() => runtime.files()).toThrow(/disposed/);
    runtime.dispose(); // twice is fine
  });
});
