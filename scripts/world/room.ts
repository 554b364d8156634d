import { Item } from "./item";
// Designers edit the texts in the JSON file: a save re-runs the files that import it, and the next `look` shows the new text.
import texts from "./descriptions.json" with { type: "json" };
import type { Npc } from "./npc";
import type { Player } from "./player";

export type Direction = "north" | "south" | "east" | "west" | "up" | "down";

export class Room {
  exits: Partial<Record<Direction, Room>> = {};
  items: Item[] = [];
  players: Player[] = [];
  /** Creatures that walk on their own (world/npc.ts). */
  npcs: Npc[] = [];

  constructor(
    public name: string,
    public description: string,
  ) {}

  /** The room's text as descriptions.json has it now (a room made from older data keeps its own otherwise). */
  text(): string {
    return (texts.rooms as Record<string, string | undefined>)[this.name] ?? this.description;
  }

  connect(direction: Direction, other: Room, back: Direction): void {
    this.exits[direction] = other;
    other.exits[back] = this;
  }

  describe(viewer: Player): string {
    const lines = [`== ${this.name} ==`, this.text()];
    const exits = Object.keys(this.exits);
    lines.push(`Exits: ${exits.length > 0 ? exits.join(", ") : "none"}.`);
    if (this.items.length > 0) lines.push(`You see: ${this.items.map((item) => item.name).join(", ")}.`);
    const others = this.players.filter((player) => player !== viewer);
    if (others.length > 0) lines.push(`Here: ${others.map((player) => player.name).join(", ")}.`);
    if (this.npcs.length > 0) lines.push(`Also here: ${this.npcs.map((npc) => `a ${npc.name}`).join(", ")}.`);
    return lines.join("\n");
  }

  /** Tells everyone in the room but `except`. */
  tell(text: string, except?: Player): void {
    for (const player of this.players) if (player !== except) player.tell(text);
  }

  findItem(name: string): Item | undefined {
    return this.items.find((item) => item.name.toLowerCase() === name.toLowerCase());
  }
}
