import { Command } from "./base";
import type { Player } from "../world/player";

export class Take extends Command {
  static verbs = ["take", "get"];
  static help = "pick something up: take <item>";

  execute(player: Player, args: string): string {
    const item = player.room.findItem(args);
    if (!item) return `There is no ${args || "thing"} here.`;
    player.room.items = player.room.items.filter((other) => other !== item);
    player.inventory.push(item);
    player.room.tell(`${player.name} takes the ${item.name}.`, player);
    return `You take the ${item.name}.`;
  }
}

export class Drop extends Command {
  static verbs = ["drop"];
  static help = "put something down: drop <item>";

  execute(player: Player, args: string): string {
    const item = player.inventory.find((held) => held.name === args);
    if (!item) return `You carry no ${args || "thing"}.`;
    player.inventory = player.inventory.filter((other) => other !== item);
    player.room.items.push(item);
    return `You drop the ${item.name}.`;
  }
}

export class Inventory extends Command {
  static verbs = ["inventory", "inv", "i"];
  static help = "list what you carry";

  execute(player: Player): string {
    if (player.inventory.length === 0) return "You carry nothing.";
    return `You carry: ${player.inventory.map((item) => item.name).join(", ")}.`;
  }
}
