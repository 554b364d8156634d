import { afterEach, describe, expect, it } from "vitest";
import { MudClient, startGame } from "./demo-client.js";

let stops: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const stop of stops.reverse()) await stop();
  stops = [];
});

/** The wizards' heap tools on a world of game size: 100k crates in the storehouse. */
describe("the demo on a world of 100k items", () => {
  it("starts with --items, and @heap, @leaks and @populate answer on it", async () => {
    const { game, stop } = await startGame({ items: 100_000 });
    stops.push(stop);
    const wizard = await MudClient.connect(game.port, "wizard");
    const heap = await wizard.command("@heap");
    const itemRow = /^\s+(\d+)\s+Item$/m.exec(heap);
    expect(Number(itemRow?.[1])).toBeGreaterThanOrEqual(100_000);
    expect(await wizard.command("@leaks")).toBe("No leaks: no retired class version is alive after a full GC.");
    expect(await wizard.command("@populate 5000")).toMatch(/^Added 5000 crates in \d+ ms; the storehouse holds 105000\. Try @heap and @leaks\.$/);
    expect(await wizard.command("@populate lots")).toMatch(/^Usage: @populate <count>/);
    // The crates are real world items: a player who is not a wizard cannot stock more.
    const ann = await MudClient.connect(game.port, "Ann");
    expect(await ann.command("@populate 10")).toBe("Only wizards can do that.");
    // Past what fits in the VM's memory, it refuses and adds nothing.
    expect(await wizard.command("@populate 1000000")).toBe(
      "@populate failed: the storehouse holds 105000 crates and takes at most 1000000 (what fits in the VM's 256 MiB with room for the game); add at most 895000",
    );
    const Item = game.graft.getClass("world/item.ts", "Item");
    const found = game.graft.findInstances(Item);
    expect(found.length).toBeGreaterThanOrEqual(105_000);
    expect(found.length).toBeLessThan(106_000);
    for (const value of found) value.dispose();
    Item.dispose();
  });
});
