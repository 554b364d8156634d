import { readFile, unlink, writeFile } from "node:fs/promises";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { MudClient, startGame } from "./demo-client.js";
import { waitFor } from "./helpers.js";

let cleanup: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const step of cleanup.reverse()) await step();
  cleanup = [];
});

async function game(): Promise<Awaited<ReturnType<typeof startGame>>> {
  const started = await startGame();
  cleanup.push(started.stop);
  return started;
}

/** Waits for a console line, and returns every line logged since `from`. */
async function logged(logs: string[], from: number, test: (line: string) => boolean, what: string): Promise<string> {
  await waitFor(() => logs.slice(from).some(test), 5000, `${what}; console so far:\n${logs.join("\n")}`);
  return logs.slice(from).join("\n");
}

describe("the demo MUD, end to end over TCP", () => {
  it("plays, picks up live edits, survives a broken save and drops deleted commands", async () => {
    const { game: server, scripts, logs } = await game();
    const ann = await MudClient.connect(server.port, "Ann");
    const bob = await MudClient.connect(server.port, "Bob");
    expect(ann.greeting).toMatch(/^Hello, Ann\. Type 'help' for commands\.\n== Town Square ==/);
    expect(await ann.command("look")).toContain("== Town Square ==");
    expect(await ann.command("look")).toContain("Here: Bob.");
    expect(await bob.command("say hello Ann")).toBe("You say: hello Ann");
    await ann.command("look"); // pushed lines arrive with the next reply
    expect(ann.pushed).toContain("Bob says: hello Ann");
    expect(await ann.command("take coin")).toBe("You take the coin.");

    // A designer edits look.ts while both are connected.
    const lookFile = path.join(scripts, "commands/look.ts");
    let mark = logs.length;
    await writeFile(
      lookFile,
      `import { Command } from "./base";
import type { Player } from "../world/player";
export class Look extends Command {
  static verbs = ["look", "l", "peek"];
  static help = "look around";
  execute(player: Player): string { return "You squint at " + player.room.name + "."; }
}
`,
    );
    const report = await logged(logs, mark, (line) => line.startsWith("[reload] commands/look.ts in"), "the look.ts reload");
    expect(report).toMatch(/\[reload\] commands\/look\.ts in \d+\.\d ms\n {2}Look: patched to v2 \(members ~execute; static ~verbs ~help\)/);
    expect(await ann.command("look")).toBe("You squint at Town Square.");
    expect(await bob.command("peek")).toBe("You squint at Town Square.");
    // state in script instances survived the reload
    expect(await ann.command("inventory")).toBe("You carry: coin.");

    // A broken save keeps the old behaviour; clients stay connected.
    mark = logs.length;
    await writeFile(lookFile, `import { Command } from "./base";\nexport class Look extends Command {\n  execute() { return "oops" + ; }\n}\n`);
    const failure = await logged(logs, mark, (line) => line.includes("FAILED"), "the failed reload");
    expect(failure).toContain("[reload] commands/look.ts: FAILED");
    expect(failure).toContain("the previous version keeps running.");
    expect(failure).toMatch(/commands\/look\.ts:3:\d+: syntax error/);
    expect(failure).toContain("> 3 |   execute() { return \"oops\" + ; }");
    expect(failure).toMatch(/\n\s+\|\s+\^/); // the caret line of the code frame
    expect(await ann.command("look")).toBe("You squint at Town Square.");
    expect(ann.connected && bob.connected).toBe(true);

    // Deleting a command file removes its verbs.
    mark = logs.length;
    await unlink(path.join(scripts, "commands/say.ts"));
    const deletion = await logged(logs, mark, (line) => line.includes("commands/say.ts (deleted)"), "the deletion");
    expect(deletion).toContain("Say (commands/say.ts) retired: no longer defined");
    expect(await bob.command("say anyone?")).toBe("Unknown command 'say'. Type 'help' for commands.");
    expect(await bob.command("help")).not.toContain("say something");
    ann.close();
    bob.close();
  });

  it("moves players between rooms; game state survives reloads of the world's own scripts", async () => {
    const { game: server, scripts, logs } = await game();
    const ann = await MudClient.connect(server.port, "Ann");
    const bob = await MudClient.connect(server.port, "Bob");
    const again = await MudClient.connect(server.port, "ann");
    expect(again.greeting).toBe("ann is already playing. Choose another name:");
    again.close();

    expect(await ann.command("north")).toMatch(/^== The Prancing Pony ==\n.*\nExits: south\.\nYou see: mug\./);
    expect(await ann.command("take mug")).toBe("You take the mug.");
    expect(await ann.command("go west")).toBe("You can't go west from here.");
    await bob.command("look");
    expect(bob.pushed).toContain("Ann leaves.");
    expect(await bob.command("who")).toBe("2 online:\nAnn in The Prancing Pony\nBob in Town Square");

    // Rooms render differently after an edit of room.ts, and nobody moved or lost anything.
    const roomFile = path.join(scripts, "world/room.ts");
    const source = await readFile(roomFile, "utf8");
    let mark = logs.length;
    await writeFile(roomFile, source.replace("const lines = [`== ${this.name} ==`", "const lines = [`** ${this.name.toUpperCase()} **`"));
    const report = await logged(logs, mark, (line) => line.startsWith("[reload] world/room.ts"), "the room.ts reload");
    expect(report).toContain("Room: patched to v2 (members ~describe)");
    expect(await ann.command("look")).toMatch(/^\*\* THE PRANCING PONY \*\*/);
    expect(await ann.command("inventory")).toBe("You carry: mug.");

    // world.ts itself reloads: the World instance is kept (import.meta.hot.data) and patched.
    const worldFile = path.join(scripts, "world/world.ts");
    mark = logs.length;
    await writeFile(worldFile, (await readFile(worldFile, "utf8")) + "\nexport const motto = 'reloaded';\n");
    await logged(logs, mark, (line) => line.startsWith("[reload] world/world.ts"), "the world.ts reload");
    expect(await bob.command("who")).toBe("2 online:\nAnn in The Prancing Pony\nBob in Town Square");
    expect(await bob.command("n")).toContain("Here: Ann.");
    ann.close();
    bob.close();
  });

  it("room and item texts live in world/descriptions.json: a save shows at the next look, a broken save is reported and changes nothing", async () => {
    const { game: server, scripts, logs } = await game();
    const ann = await MudClient.connect(server.port, "Ann");
    expect(await ann.command("look")).toContain("A cobbled square. A fountain gurgles in the middle.");
    expect(await ann.command("take coin")).toBe("You take the coin.");
    const dataFile = path.join(scripts, "world/descriptions.json");
    const data = await readFile(dataFile, "utf8");

    let mark = logs.length;
    await writeFile(dataFile, data.replace("A fountain gurgles in the middle.", "Pigeons quarrel on the fountain.").replace("a tarnished copper coin", "a freshly minted coin"));
    const report = await logged(logs, mark, (line) => line.startsWith("[reload] world/descriptions.json"), "the data reload");
    // Its importers are re-run in the same transaction (R13); the world and what players hold stay.
    expect(report).toMatch(/re-run/);
    expect(await ann.command("look")).toContain("A cobbled square. Pigeons quarrel on the fountain.");
    expect(await ann.command("look coin")).toBe("coin: a freshly minted coin");
    expect(await ann.command("inventory")).toBe("You carry: coin.");

    mark = logs.length;
    await writeFile(dataFile, data.replace(`"mug": "an empty pewter mug",`, `"mug": "an empty pewter mug",,`));
    const failed = await logged(logs, mark, (line) => line.includes("FAILED") || /^\s+world\/descriptions\.json:\d+:\d+/.test(line), "the broken data save to be reported");
    expect(failed).toMatch(/world\/descriptions\.json:\d+:\d+: syntax error: /);
    expect(await ann.command("look")).toContain("Pigeons quarrel on the fountain.");
    ann.close();
  });

  it("new command files add verbs; duplicate verbs and script errors are reported without dropping anyone", async () => {
    const { game: server, scripts, logs } = await game();
    const ann = await MudClient.connect(server.port, "Ann");
    const bob = await MudClient.connect(server.port, "Bob");
    let mark = logs.length;
    await writeFile(
      path.join(scripts, "commands/wave.ts"),
      `import { Command } from "./base";
import type { Player } from "../world/player";
export class Wave extends Command {
  static verbs = ["wave"];
  static help = "wave at everyone";
  execute(player: Player): string { player.room.tell(player.name + " waves."); return "You wave."; }
}
`,
    );
    expect(await logged(logs, mark, (line) => line.startsWith("[reload] commands/wave.ts"), "wave.ts")).toContain("Wave: new class");
    expect(await ann.command("wave")).toBe("You wave.");
    expect(await ann.command("help")).toMatch(/\n {2}wave {2,}wave at everyone/);
    await bob.command("look");
    expect(bob.pushed).toContain("Ann waves.");

    // A second class claiming 'look' (a copy-pasted command, or a renamed class whose old name lives on).
    mark = logs.length;
    await writeFile(
      path.join(scripts, "commands/glance.ts"),
      `import { Command } from "./base";\nexport class Glance extends Command {\n  static verbs = ["glance", "look"];\n  execute(): string { return "You glance."; }\n}\n`,
    );
    const warning = await logged(logs, mark, (line) => line.includes("warning: verb 'look'"), "the duplicate verb warning");
    expect(warning).toContain("[verbs] warning: verb 'look' is claimed by Look (commands/look.ts) and Glance (commands/glance.ts); keeping Look");
    expect(await ann.command("look")).toContain("== Town Square ==");
    expect(await ann.command("glance")).toBe("You glance.");

    // A command that throws, then one that never returns: the player gets an error, everyone stays on.
    mark = logs.length;
    await writeFile(
      path.join(scripts, "commands/wave.ts"),
      `import { Command } from "./base";
export class Wave extends Command {
  static verbs = ["wave", "spin"];
  execute(_player: unknown, _args: string, verb: string): string {
    if (verb === "spin") for (;;) {}
    throw new Error("arm stuck");
  }
}
`,
    );
    await logged(logs, mark, (line) => line.startsWith("[reload] commands/wave.ts"), "wave.ts v2");
    expect(await ann.command("wave")).toMatch(/^Something went wrong: .*arm stuck.*commands\/wave\.ts:6:\d+/);
    expect(logs.join("\n")).toMatch(/\[error\] Ann ran 'wave': .*arm stuck/);
    expect(await bob.command("spin")).toMatch(/^Something went wrong: .*(interrupted|timeout|timed out)/i);
    expect(await ann.command("say still here")).toBe("You say: still here");
    expect(ann.connected && bob.connected).toBe(true);
    ann.close();
    bob.close();
  });

  it("the cat walks on a timer: its pace and walk are edited live, one cat walks after every save, an error in its walk is reported", async () => {
    const { game: server, scripts, logs } = await game();
    const ann = await MudClient.connect(server.port, "Ann");
    expect(await ann.command("east")).toMatch(/^== The Forge ==[^]*\nAlso here: a cat\.$/);
    expect(await ann.command("west")).not.toContain("cat");
    /** Ann looks around until the game has pushed her a line that passes `test` (the cat passing through). */
    const seen = async (test: (line: string) => boolean, what: string, enough = (): boolean => ann.pushed.some(test)): Promise<void> => {
      const started = Date.now();
      while (!enough()) {
        if (Date.now() - started > 5000) throw new Error(`Ann never saw ${what}; she saw:\n${ann.pushed.join("\n")}`);
        await ann.command("look");
      }
    };
    const npcFile = path.join(scripts, "world/npc.ts");
    const original = await readFile(npcFile, "utf8");
    const edit = async (pace: number, arrives: string, leaves: string, extra = (source: string) => source): Promise<void> => {
      const mark = logs.length;
      await writeFile(npcFile, extra(original.replace("PACE_MS = 20_000", `PACE_MS = ${pace}`).replace("pads in", arrives).replace("pads off", leaves)));
      await logged(logs, mark, (line) => line.startsWith("[reload] world/npc.ts"), "the npc.ts reload");
    };

    // A faster cat with new words: live at the next step.
    await edit(20, "prowls in", "slinks off");
    await seen((line) => line === "The cat prowls in.", "the cat prowl in");
    await seen((line) => line === "The cat slinks off north.", "the cat slink off north");
    // Saved again: the previous version's walk was cancelled at commit, so only the new words follow.
    await edit(15, "tiptoes in", "creeps off");
    await seen((line) => line === "The cat tiptoes in.", "the cat tiptoe in");
    const switched = ann.pushed.indexOf("The cat tiptoes in.");
    await seen(() => false, "six more of the cat's steps", () => ann.pushed.length > switched + 6);
    expect(ann.pushed.slice(switched).filter((line) => /prowls|slinks|pads/.test(line))).toEqual([]);
    expect(ann.pushed.slice(switched).filter((line) => /tiptoes in|creeps off/.test(line)).length).toBe(ann.pushed.length - switched);

    // A mistake in the walk: each step's error reaches the console with file:line; nobody is dropped.
    let mark = logs.length;
    await edit(15, "tiptoes in", "creeps off", (source) => source.replace("  wander(): void {\n", "  wander(): void {\n    (this as any).tail.swish();\n"));
    const error = await logged(logs, mark, (line) => line.startsWith("[error] world/npc.ts:"), "the walk's error");
    expect(error).toMatch(/\[error\] world\/npc\.ts:\d+:\d+: a setInterval callback from world\/npc\.ts threw TypeError: cannot read property 'swish' of undefined/);
    expect(await ann.command("say still here")).toBe("You say: still here");
    // Fixed, and slowed down again: the broken walk is gone with its version.
    mark = logs.length;
    await writeFile(npcFile, original);
    await logged(logs, mark, (line) => line.startsWith("[reload] world/npc.ts"), "the fixed npc.ts");
    const errorsAfterFix = logs.length;
    await ann.command("look");
    // A deliberate wait (an absence has no event): four periods of the broken walk's 15 ms interval, had it survived the fix.
    await new Promise((resolve) => setTimeout(resolve, 60));
    await ann.command("look");
    expect(logs.slice(errorsAfterFix).filter((line) => line.startsWith("[error]"))).toEqual([]);
    ann.close();
  });

  it("wizard commands answer, and non-wizards are refused", async () => {
    const { game: server, scripts, logs } = await game();
    const wizard = await MudClient.connect(server.port, "wizard");
    const player = await MudClient.connect(server.port, "Pat");
    expect(await player.command("@reload")).toBe("Only wizards can do that.");
    expect(await wizard.command("@reload")).toBe("Nothing changed on disk (@reload <file> re-runs a file as it is).");
    expect(await wizard.command("@reload commands/say.ts")).toMatch(/^Reloaded commands\/say\.ts in [\d.]+ ms\.$/);
    expect(await wizard.command("@nonsense")).toMatch(/Unknown wizard command/);
    // @eval runs in a script's own scope: its top-level bindings and imports
    expect(await wizard.command("@eval world/world.ts world.players.map((p) => p.name)")).toBe("ScriptValue Array(2) [ 'wizard', 'Pat' ]");
    expect(await wizard.command("@eval commands/look.ts [typeof Look, typeof Command]")).toBe("ScriptValue Array(2) [ 'function', 'function' ]");
    expect(await wizard.command("@eval world/world.ts world.players.length")).toBe("2");
    expect(await wizard.command("@eval world/world.ts nothing.here")).toBe("@eval failed: ReferenceError: 'nothing' is not defined");
    expect(await wizard.command("@eval nope.ts 1")).toMatch(/^@eval failed: no script 'nope.ts' is loaded/);
    expect(await wizard.command("@eval")).toMatch(/^Usage: @eval <file> <code>/);
    expect(await player.command("@eval world/world.ts 1")).toBe("Only wizards can do that.");
    expect(await wizard.command("@leaks")).toBe("No leaks: no retired class version is alive after a full GC.");
    const heap = await wizard.command("@heap");
    expect(heap).toMatch(/^GC: \d+ -> \d+ live objects\. Instances by class:/);
    expect(heap).toMatch(/\s2 {2}Player\n/);
    const snapshot = await wizard.command("@snapshot");
    // the wizard is told when the heap was read (the only pause), then when it is written
    expect(snapshot).toMatch(/^@snapshot: heap read in \d+ ms \(the game paused for that only\); writing graft-.*\.heapsnapshot\.\.\.\n[\s\S]*Heap snapshot written to .*\.heapsnapshot in \d+\.\d s/);
    const file = /written to (.*\.heapsnapshot)/.exec(snapshot)![1]!;
    expect(JSON.parse(await readFile(file, "utf8"))).toHaveProperty("snapshot.meta");
    // a ghost: a retired command class that a script still holds shows up in @leaks
    let mark = logs.length;
    await writeFile(path.join(scripts, "commands/keeper.ts"), `import { Look } from "./look";\nglobalThis.oldLook ??= Look;\n`);
    await logged(logs, mark, (line) => line.startsWith("[reload] commands/keeper.ts"), "keeper.ts");
    // the watcher may apply a half-written read first: wait for the whole file to be running
    await waitFor(() => server.graft.evaluate("commands/keeper.ts", "typeof oldLook").toHost() === "function", 5000, "keeper.ts to hold Look");
    mark = logs.length;
    await writeFile(path.join(scripts, "commands/look.ts"), `import { Command } from "./base";\nexport class Peek extends Command {\n  static verbs = ["peek"];\n  execute(): string { return "peeking"; }\n}\n`);
    await logged(logs, mark, (line) => line.includes("Look (commands/look.ts) retired"), "Look retired");
    expect(await player.command("look")).toBe("Unknown command 'look'. Type 'help' for commands.");
    const leaks = await wizard.command("@leaks");
    expect(leaks).toContain("Look  class, retired (commands/look.ts v1)");
    expect(leaks).toContain("<- global 'oldLook' of context commands/keeper.ts   [root]");
    // a wizard's @reload of a broken file says so, with the error
    await writeFile(path.join(scripts, "commands/look.ts"), `export class Peek {\n  oops(\n}\n`);
    const reload = await wizard.command("@reload commands/look.ts");
    expect(reload).toMatch(/^Reload failed:\n {2}commands\/look\.ts:3:1: syntax error/);
    expect(reload).toContain("> 3 | }");
    expect(reload).toContain("the previous version keeps running.");
    expect(await player.command("peek")).toBe("peeking");
    wizard.close();
    player.close();
  });
});
