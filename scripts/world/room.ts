import { Item } from "./item";
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

  connect(direction: Direction, other: Room, back: Direction): void {
    this.exits[direction] = other;
    other.exits[back] = this;
  }

  describe(viewer: Player): string {
    const lines = [`== ${this.name} ==`, this.description];
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
