import { Command } from "./base";
import { world } from "../world/world";

export class Who extends Command {
  static verbs = ["who"];
  static help = "list who is online";

  execute(): string {
    const names = world.players.map((player) => `${player.name}${player.wizard ? " (wizard)" : ""} in ${player.room.name}`);
    return `${names.length} online:\n${names.join("\n")}`;
  }
}
