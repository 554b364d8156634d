import { writeFile } from "node:fs/promises";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { MudClient, startGame } from "./demo-client.js";
import { waitFor } from "./helpers.js";

let stopGame: (() => Promise<void>) | undefined;
afterEach(async () => {
  await stopGame?.();
  stopGame = undefined;
});

/** Version n of a command whose every member names n: a reply mixing two versions is a half-patched class. */
const stamp = (n: number): string => `import { Command } from "./base";
import type { Player } from "../world/player";

export class Stamp extends Command {
  static verbs = ["stamp"];
  static tag = "v${n}";
  field = "v${n}";
  get kind(): string { return "v${n}"; }
  execute(player: Player, args: string): string {
    return "stamp " + args + " v${n} " + Stamp.tag + " " + this.field + " " + this.kind + " " + this.check() + " " + player.name;
  }
  check(): string { return "v${n}"; }
}
`;

const CLIENTS = 20;
const SAVES = 50;

describe("the demo MUD under load", () => {
  it(`${CLIENTS} clients get exactly one well-formed reply per command while a command file is saved ${SAVES} times`, async () => {
    const { game, scripts, logs, stop } = await startGame();
    stopGame = stop;
    const stampFile = path.join(scripts, "commands/stamp.ts");
    await writeFile(stampFile, stamp(0));
    await waitFor(() => logs.some((line) => line.startsWith("[reload] commands/stamp.ts in")), 5000, "stamp.ts v0");
    const clients = await Promise.all(Array.from({ length: CLIENTS }, (_, i) => MudClient.connect(game.port, `p${i}`)));
    const baseline = game.graft.gc().after;

    let saving = true;
    const sent: string[][] = clients.map(() => []);
    const replies: string[][] = clients.map(() => []);
    const players = clients.map(async (client, index) => {
      for (let seq = 0; saving; seq++) {
        const id = `${index}-${seq}`;
        sent[index]!.push(id);
        replies[index]!.push(await client.command(`stamp ${id}`));
      }
    });
    for (let n = 1; n <= SAVES; n++) {
      await writeFile(stampFile, stamp(n));
      await new Promise((resolve) => setTimeout(resolve, 15 + (n % 4) * 10));
    }
    await waitFor(() => replies.every((list) => list.at(-1)?.includes(` v${SAVES} `)), 15_000, `every client on v${SAVES}`);
    saving = false;
    await Promise.all(players);
    // A stray second reply to any command would arrive before the reply to one more command
    // (a connection answers in order), and be taken for it.
    const last = await Promise.all(clients.map((client, index) => client.command(`stamp ${index}-last`)));
    last.forEach((reply, index) => expect(reply).toMatch(new RegExp(`^stamp ${index}-last `)));

    const versions = new Set<string>();
    clients.forEach((client, index) => {
      // one reply per command, in order, none lost and none extra
      expect(replies[index]!.length).toBe(sent[index]!.length);
      expect(client.unread).toBe("");
      let last = -1;
      replies[index]!.forEach((reply, k) => {
        const match = /^stamp (\d+-\d+) (v\d+) (v\d+) (v\d+) (v\d+) (v\d+) (p\d+)$/.exec(reply);
        expect(match, `malformed reply ${JSON.stringify(reply)}`).not.toBeNull();
        const [, id, body, staticTag, field, getter, method, name] = match!;
        expect(id).toBe(sent[index]![k]);
        expect(name).toBe(`p${index}`);
        // method body, static member, field initialiser, getter and a second method all from one version
        expect([staticTag, field, getter, method], reply).toEqual([body, body, body, body]);
        // versions only move forward
        const version = Number(body!.slice(1));
        expect(version).toBeGreaterThanOrEqual(last);
        last = version;
        versions.add(body!);
      });
    });
    expect(replies.flat().length).toBeGreaterThan(CLIENTS * 10);
    expect(versions.size).toBeGreaterThan(2); // the edits really landed while commands ran
    expect(logs.filter((line) => line.startsWith("[reload] commands/stamp.ts in")).length).toBeGreaterThan(2);
    expect(logs.filter((line) => line.includes("FAILED") || line.startsWith("[error]"))).toEqual([]);
    expect(clients.every((client) => client.connected)).toBe(true);
    // The host kept nothing of the 50 superseded versions, and no handles piled up.
    expect(game.graft.leaks().map((leak) => leak.text)).toEqual([]);
    expect(game.graft.gc().after).toBeLessThan(baseline + 500);
    clients.forEach((client) => client.close());
  });
});
