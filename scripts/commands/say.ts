import { Command } from "./base";
import type { Player } from "../world/player";

export class Say extends Command {
  static verbs = ["say", "'"];
  static help = "say something to everyone in the room: say <text>";

  execute(player: Player, args: string): string {
    if (args === "") return "Say what?";
    player.room.tell(`${player.name} says: ${args}`, player);
    return `You say: ${args}`;
  }
}
