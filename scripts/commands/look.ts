import { Command } from "./base";
import type { Player } from "../world/player";

export class Look extends Command {
  static verbs = ["look", "l"];
  static help = "look around, or at something: look [item]";

  execute(player: Player, args: string): string {
    if (args === "") return player.room.describe(player);
    const item = player.room.findItem(args) ?? player.inventory.find((held) => held.name === args);
    return item ? item.describe() : `You see no ${args} here.`;
  }
}
