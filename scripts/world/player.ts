import { send } from "host";
import type { Item } from "./item";
import type { Room } from "./room";

export class Player {
  inventory: Item[] = [];
  commandsRun = 0;

  constructor(
    public name: string,
    public connection: number,
    public room: Room,
    public wizard: boolean,
  ) {}

  /** Pushes a line to this player (not a reply: shown with a leading "* "). */
  tell(text: string): void {
    send(this.connection, `* ${text}`);
  }

  moveTo(room: Room): void {
    this.room.players = this.room.players.filter((player) => player !== this);
    this.room.tell(`${this.name} leaves.`, this);
    this.room = room;
    room.tell(`${this.name} arrives.`, this);
    room.players.push(this);
  }
}
