import { log } from "host";
import { Item } from "./item";
import { Player } from "./player";
import { Room } from "./room";
import texts from "./descriptions.json" with { type: "json" };

/** The whole game state. One instance for the life of the server: see `world` below. */
export class World {
  rooms: Room[] = [];
  players: Player[] = [];
  start: Room;
  /** Where stock() puts crates; made on first use. */
  storehouse?: Room;

  constructor() {
    const { rooms, items } = texts;
    const square = new Room("Town Square", rooms["Town Square"]);
    const inn = new Room("The Prancing Pony", rooms["The Prancing Pony"]);
    const forge = new Room("The Forge", rooms["The Forge"]);
    const tower = new Room("Wizard Tower", rooms["Wizard Tower"]);
    square.connect("north", inn, "south");
    square.connect("east", forge, "west");
    square.connect("up", tower, "down");
    square.items.push(new Item("coin", items.coin));
    forge.items.push(new Item("hammer", items.hammer));
    inn.items.push(new Item("mug", items.mug));
    this.rooms.push(square, inn, forge, tower);
    this.start = square;
  }

  join(name: string, connection: number, wizard: boolean): Player {
    const player = new Player(name, connection, this.start, wizard);
    this.players.push(player);
    this.start.tell(`${name} appears in a puff of smoke.`);
    this.start.players.push(player);
    log(`${name} joined (${this.players.length} online)`);
    return player;
  }

  leave(player: Player): void {
    this.players = this.players.filter((other) => other !== player);
    player.room.players = player.room.players.filter((other) => other !== player);
    // What they carried stays in the world.
    player.room.items.push(...player.inventory);
    player.inventory = [];
    player.room.tell(`${player.name} fades away.`);
    log(`${player.name} left (${this.players.length} online)`);
  }

  /**
   * Fills the storehouse (a room no exit leads to) with `count` more crates, for trying the
   * wizards' heap tools on a world of game size. Returns how many crates it holds now.
   */
  stock(count: number): number {
    // A field added by this method, not by the constructor: the running world predates it.
    this.storehouse ??= new Room("Storehouse", texts.rooms.Storehouse);
    const crates = this.storehouse.items;
    for (let i = 0; i < count; i++) crates.push(new Item(`crate ${crates.length + 1}`, texts.items.crate));
    return crates.length;
  }

  findPlayer(name: string): Player | undefined {
    return this.players.find((player) => player.name.toLowerCase() === name.toLowerCase());
  }
}

// The world survives reloads of this file: graft keeps import.meta.hot.data across versions,
// and the World class itself is patched in place, so the old instance runs the new code.
export const world: World = (import.meta.hot.data.world ??= new World());
