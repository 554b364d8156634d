import { beforeAll, describe, expect, it } from "vitest";
import type { GraftRuntime, LeakReport } from "../host-api/index.js";
import { growVm, HOG_SCRIPT } from "./grown-vm.js";
import { runtimeFor, scriptsFolder, type ScriptsFolder } from "./helpers.js";

/**
 * Issue 8: reloads read the heap too. A new field reaches every live instance (the reload
 * finds them by walking the heap), a failing one is rolled back on all of them, and the
 * opt-in leak event runs leaks() after each reload. After the VM memory grew (a 64 MB
 * buffer, 300k objects) each must answer as it did before, and at 300k instances.
 */

const WORLD = [
  `import { Player } from "./player.ts";`,
  `export const players: Player[] = (import.meta.hot!.data.players ??= []);`,
  `export function spawn(count: number): number { while (players.length < count) players.push(new Player(players.length)); return players.length; }`,
  `export function having(key: string, factor: number): number { let n = 0; for (const p of players as any[]) if (p[key] === p.hp * factor) n++; return n; }`,
  `export function holding(key: string): number { let n = 0; for (const p of players as any[]) if (key in p) n++; return n; }`,
].join("\n");

/** Player with fields f1..f`fields` (fi = hp * i), and optionally a field whose initialiser throws on the player with hp `throwsAt`. */
function player(fields: number, throwsAt?: number): string {
  const lines = ["export class Player {", "  constructor(public hp: number) {}"];
  for (let i = 1; i <= fields; i++) lines.push(`  f${i} = this.hp * ${i};`);
  if (throwsAt !== undefined) lines.push(`  bad = this.hp === ${throwsAt} ? (() => { throw new RangeError("bad hp"); })() : 0;`);
  lines.push("}");
  return lines.join("\n");
}

interface Story {
  players: number;
  added: { ok: boolean; having: number };
  failed: { ok: boolean; error: string | undefined; holding: number; stillHaving: number };
  leakEvents: LeakReport[][];
}

describe("reloads that read the heap, after the VM memory grew (64 MB buffer, 300k objects)", () => {
  let runtime: GraftRuntime;
  let folder: ScriptsFolder;
  let fields = 0;
  const leakEvents: LeakReport[][] = [];
  let before: Story;

  const count = (name: "having" | "holding", ...args: unknown[]): number => runtime.exports("world.ts")[name]!.invoke(...args).toHost() as number;

  /** Grows the world to `players`, adds a field (reaching every player), then one that throws on the last player (rolled back). */
  async function story(players: number): Promise<Story> {
    const world = runtime.exports("world.ts");
    expect(world.spawn!.invoke(players).toHost()).toBe(players);
    for (const value of Object.values(world)) value.dispose();
    const seen = leakEvents.length;
    fields += 1;
    await folder.write("player.ts", player(fields));
    const added = await runtime.reload(["player.ts"]);
    const having = count("having", `f${fields}`, fields);
    await folder.write("player.ts", player(fields, players - 1));
    const failed = await runtime.reload(["player.ts"]);
    return {
      players,
      added: { ok: added.ok, having },
      failed: { ok: failed.ok, error: failed.errors[0]?.message, holding: count("holding", "bad"), stillHaving: count("having", `f${fields}`, fields) },
      leakEvents: leakEvents.slice(seen),
    };
  }

  beforeAll(async () => {
    folder = await scriptsFolder(
      {
        "world.ts": WORLD,
        "player.ts": player(0),
        "ghost.ts": "export class Ghost { boo(): string { return 'boo'; } }",
        "holder.ts": "import { Ghost } from './ghost.ts';\n(globalThis as any).keep ??= Ghost;",
        "hog.ts": HOG_SCRIPT,
      },
      "file",
    );
    runtime = await runtimeFor(folder, { timeout: 20_000 }, "file");
    runtime.on("leak", (leaks) => void leakEvents.push(leaks));
    // Ghost is retired and held by holder.ts's global: each reload that patches something reports it.
    await folder.write("ghost.ts", "export class Spirit {}");
    await runtime.reload(["ghost.ts"]);
    before = await story(1000);
    growVm(runtime);
  });

  it("on the small heap: the field reaches all 1,000 players, the failing one none, and the leak event names the held class", () => {
    const { leakEvents: events, ...rest } = before;
    expect(rest).toEqual({
      players: 1000,
      added: { ok: true, having: 1000 },
      failed: { ok: false, error: "the initialiser of the new field bad of Player threw on a live instance: RangeError: bad hp", holding: 0, stillHaving: 1000 },
    });
    // One event, after the reload that patched Player (the rolled-back one patched nothing).
    expect(events.map((leaks) => leaks.map((leak) => `${leak.name} ${leak.file} v${leak.version}${leak.retired ? " retired" : ""}`))).toEqual([["Ghost ghost.ts v1 retired"]]);
  });

  it("after growth: the same answers for 1,000 players", async () => {
    // The players of the first story stay; f2 is new to all of them.
    expect(await story(1000)).toEqual(before);
  });

  it("after growth, at 300k players: every one gets the new field, and none keeps the failing one", async () => {
    expect(await story(300_000)).toEqual({
      ...before,
      players: 300_000,
      added: { ok: true, having: 300_000 },
      failed: { ...before.failed, stillHaving: 300_000 },
    });
  });
});
