import { Command } from "./base";
import type { Player } from "../world/player";
import type { Direction } from "../world/room";

const SHORT: Record<string, Direction> = { n: "north", s: "south", e: "east", w: "west", u: "up", d: "down" };

export class Go extends Command {
  static verbs = ["go", "north", "south", "east", "west", "up", "down", "n", "s", "e", "w", "u", "d"];
  static help = "move: go <direction>, or just north/south/east/west/up/down";

  execute(player: Player, args: string, verb = ""): string {
    const wanted = (args || verb).toLowerCase();
    const direction = (SHORT[wanted] ?? wanted) as Direction;
    const target = player.room.exits[direction];
    if (!target) return `You can't go ${wanted || "nowhere"} from here.`;
    player.moveTo(target);
    return target.describe(player);
  }
}
