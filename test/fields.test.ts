import { describe, expect, it } from "vitest";
import { runtimeFor, scriptsFolder } from "./helpers.js";

/** A world file holding live players across reloads, and a player class file. */
const WORLD = `import { Player } from "./player";
export const players: Player[] = (import.meta.hot!.data.players ??= []);
export function spawn(count: number) { for (let i = 0; i < count; i++) players.push(new Player("p" + i, i)); return players.length; }
export function read(fn: (p: any) => unknown) { return players.map(fn); }
export function look(key: string) { return players.map((p: any) => p[key]); }
`;

const player = (body: string) => `export class Player {
  constructor(public name: string, public hp: number) {}
${body}
}
`;

async function world(extraFiles: Record<string, string> = {}) {
  const folder = await scriptsFolder({ "world.ts": WORLD, "player.ts": player(""), ...extraFiles });
  const runtime = await runtimeFor(folder, { timeout: 5000 });
  const exports = runtime.exports("world.ts");
  expect(exports.spawn!.invoke(1000).toHost()).toBe(1000);
  return { folder, runtime, exports };
}

describe("fields added by a new version reach live instances", () => {
  it("every live instance lacking a new field gets it, its initialiser run with this = the instance", async () => {
    const { folder, runtime, exports } = await world({
      "hero.ts": `import { Player } from "./player";\nexport class Hero extends Player { title = "sir"; }\nexport const hero = new Hero("h", 1);`,
    });
    await folder.write(
      "player.ts",
      player(`  gold = 10;\n  tag = this.name + "!";\n  #bag: string[] = ["map"];\n  items = [] as string[];\n  bag() { return this.#bag; }\n  title = "keep";`),
    );
    const report = await runtime.reload(["player.ts"]);
    expect(report.errors).toEqual([]);
    expect(new Set(exports.look!.invoke("gold").toHost() as number[])).toEqual(new Set([10]));
    const tags = exports.look!.invoke("tag").toHost() as string[];
    expect(tags[0]).toBe("p0!");
    expect(tags[999]).toBe("p999!");
    // each instance gets its own value from its own run of the initialiser
    const bags = runtime.evaluate("world.ts", `players[0].bag().push("key"); players.map((p) => p.bag().length)`).toHost() as number[];
    expect(bags[0]).toBe(2);
    expect(bags.slice(1).every((length) => length === 1)).toBe(true);
    expect(runtime.evaluate("world.ts", `players[1].items !== players[2].items`).toHost()).toBe(true);
    // a subclass instance is a live instance too; a field it already has is kept
    const hero = runtime.exports("hero.ts").hero!;
    expect(hero.get("gold").toHost()).toBe(10);
    expect(hero.get("title").toHost()).toBe("sir");
    expect(hero.call("bag").toHost()).toEqual(["map"]);
    // new instances are built by the new version as usual (its field initialisers run before the constructor's body)
    const fresh = runtime.getClass("player.ts", "Player").new("n", 1);
    expect(fresh.get("gold").toHost()).toBe(10);
    expect(fresh.get("tag").toHost()).toBe("undefined!");
  });

  it("a new field's initialiser reads the module's bindings, super and the class's private names as in the class", async () => {
    const { folder, runtime, exports } = await world({ "base.ts": `export class Base { bonus() { return 100; } }\n` });
    await folder.write("player.ts", `import { Base } from "./base";\nexport class Player extends Base {\n  constructor(public name: string, public hp: number) { super(); }\n}\n`);
    expect((await runtime.reload(["player.ts"])).errors).toEqual([]);
    await folder.write(
      "player.ts",
      `import { Base } from "./base";\nconst init = 7;\nconst k = 3;\nexport class Player extends Base {\n  #seed = init * k;\n  score = super.bonus() + this.#seed + this.hp;\n  arrow = () => this.name;\n  constructor(public name: string, public hp: number) { super(); }\n  bonus() { return 1; }\n}\n`,
    );
    const report = await runtime.reload(["player.ts"]);
    expect(report.errors).toEqual([]);
    expect(report.patched[0]!.fields).toEqual({ added: ["#seed", "score", "arrow"], instances: 1000 });
    const scores = exports.look!.invoke("score").toHost() as number[];
    expect(scores[0]).toBe(100 + 21 + 0);
    expect(scores[999]).toBe(100 + 21 + 999);
    expect(runtime.evaluate("world.ts", `players[5].arrow()`).toHost()).toBe("p5");
  });

  it("an initialiser that throws on a live instance rolls the whole reload back, naming the field's line", async () => {
    const { folder, runtime, exports } = await world();
    await folder.write("player.ts", player(`  name2 = "x";\n  level = (this.hp === 500 ? (() => { throw new RangeError("bad hp"); })() : this.hp);\n  extra() { return 1; }`));
    const report = await runtime.reload(["player.ts"]);
    expect(report.ok).toBe(false);
    expect(report.errors[0]!.message).toBe("the initialiser of the new field level of Player threw on a live instance: RangeError: bad hp");
    expect(report.errors[0]!.position).toMatchObject({ file: "player.ts", line: 4, column: 3 });
    expect(report.errors[0]!.text).toContain("player.ts:4:3");
    // nothing of the new version: no instance has the fields, the old class runs
    expect(exports.look!.invoke("name2").toHost()).toEqual(new Array(1000).fill(undefined));
    expect(exports.look!.invoke("level").toHost()).toEqual(new Array(1000).fill(undefined));
    expect(runtime.evaluate("world.ts", `"extra" in players[0]`).toHost()).toBe(false);
  });

  it("an initialiser that loops is stopped at the timeout and rolled back", async () => {
    const folder = await scriptsFolder({ "world.ts": WORLD, "player.ts": player("") });
    const runtime = await runtimeFor(folder, { timeout: 300 });
    runtime.exports("world.ts").spawn!.invoke(3);
    await folder.write("player.ts", player(`  stuck = (() => { for (;;) {} })();`));
    const report = await runtime.reload(["player.ts"]);
    expect(report.errors[0]!.message).toMatch(/timed out/);
    expect(runtime.exports("world.ts").look!.invoke("stuck").toHost()).toEqual([undefined, undefined, undefined]);
  });
});

const MIGRATE_RENAME = `  health: number;
  static [Symbol.for("graft.migrate")](p: any, fromVersion: number) {
    (globalThis as any).migrated = ((globalThis as any).migrated ?? 0) + 1;
    (globalThis as any).from = fromVersion;
    if ("hp" in p) { p.health = p.hp; delete p.hp; }
  }`;

describe("the migration hook: static [Symbol.for(\"graft.migrate\")](instance, fromVersion)", () => {
  it("renames a field on 1,000 live instances, once, when the hook is new or changed", async () => {
    const { folder, runtime, exports } = await world();
    const renamed = `export class Player {\n  constructor(public name: string, hp: number) { this.health = hp; }\n${MIGRATE_RENAME}\n  heal() { return this.health + 1; }\n}\n`;
    await folder.write("player.ts", renamed);
    const report = await runtime.reload(["player.ts"]);
    expect(report.errors).toEqual([]);
    expect(exports.look!.invoke("health").toHost()).toEqual(Array.from({ length: 1000 }, (_, i) => i));
    expect(exports.look!.invoke("hp").toHost()).toEqual(new Array(1000).fill(undefined));
    expect(runtime.evaluate("player.ts", "globalThis.migrated").toHost()).toBe(1000);
    expect(runtime.evaluate("player.ts", "globalThis.from").toHost()).toBe(1);
    // an edit that leaves the hook as it was does not run it again
    await folder.write("player.ts", renamed.replace("this.health + 1", "this.health + 2"));
    await runtime.reload(["player.ts"]);
    expect(runtime.evaluate("player.ts", "globalThis.migrated").toHost()).toBe(1000);
    expect(runtime.evaluate("world.ts", "players[7].heal()").toHost()).toBe(9);
  });

  it("a hook that throws rolls the reload back: instances it already changed are put back", async () => {
    const { folder, runtime, exports } = await world();
    await folder.write(
      "player.ts",
      `export class Player {\n  constructor(public name: string, public health: number) {}\n  static [Symbol.for("graft.migrate")](p: any) {\n    p.health = p.hp; delete p.hp;\n    if (p.health === 500) throw new Error("cannot migrate " + p.name);\n  }\n}\n`,
    );
    const report = await runtime.reload(["player.ts"]);
    expect(report.ok).toBe(false);
    expect(report.errors[0]!.message).toBe("Error: cannot migrate p500");
    expect(report.errors[0]!.position).toMatchObject({ file: "player.ts", line: 5 });
    expect(exports.look!.invoke("hp").toHost()).toEqual(Array.from({ length: 1000 }, (_, i) => i));
    expect(exports.look!.invoke("health").toHost()).toEqual(new Array(1000).fill(undefined));
    expect(runtime.evaluate("world.ts", `Object.keys(players[3]).join()`).toHost()).toBe("name,hp");
  });
});
