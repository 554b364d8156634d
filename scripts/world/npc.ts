import type { Direction, Room } from "./room";
import { world } from "./world";

/** How often the cat moves, in ms. Save a new value: the next step comes at the new pace. */
const PACE_MS = 20_000;

/** A creature that walks the world on its own, one exit after another. */
export class Npc {
  steps = 0;

  constructor(
    public name: string,
    public room: Room,
  ) {
    room.npcs.push(this);
  }

  /** Takes the next exit of the room it is in (in turn, so its walk is predictable). */
  wander(): void {
    const exits = Object.keys(this.room.exits) as Direction[];
    if (exits.length === 0) return;
    const direction = exits[this.steps++ % exits.length]!;
    this.moveTo(this.room.exits[direction]!, direction);
  }

  moveTo(room: Room, direction: Direction): void {
    this.room.npcs = this.room.npcs.filter((npc) => npc !== this);
    this.room.tell(`The ${this.name} pads off ${direction}.`);
    this.room = room;
    room.npcs.push(this);
    room.tell(`The ${this.name} pads in.`);
  }
}

// One cat for the life of the server: graft keeps import.meta.hot.data across saves.
export const cat: Npc = (import.meta.hot.data.cat ??= new Npc("cat", world.rooms[2]!));

// Started by this file's top level, so it belongs to this version of the file: when the file
// is saved again graft cancels it at commit, and the new version starts its own walk. There
// is never more than one cat walking, and no dispose hook is needed.
setInterval(() => cat.wander(), PACE_MS);
