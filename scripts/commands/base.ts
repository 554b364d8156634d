import type { Player } from "../world/player";

/**
 * A player command. The server builds its verb table from every subclass of Command
 * (runtime.findSubclasses), reading each class's `static verbs`.
 */
export class Command {
  static verbs: string[] = [];
  static help = "";

  /** Runs the command; the returned text is the reply to the player. */
  execute(player: Player, args: string): string {
    return `${player.name}, nothing happens (${args}).`;
  }
}
