import { commands, wizardCommands } from "host";
import type { Player } from "../world/player";
import { Command } from "./base";

type Entry = { verbs: string[]; help: string };

export class Help extends Command {
  static verbs = ["help", "?"];
  static help = "this list";

  execute(player: Player): string {
    const text = `Commands:\n${lines(commands())}`;
    return player.wizard ? `${text}\nWizard commands:\n${lines(wizardCommands())}` : text;
  }
}

function lines(entries: Entry[]): string {
  return entries
    .map((entry) => {
      const verbs = entry.verbs.join(", ");
      return verbs.length <= 24 ? `  ${verbs.padEnd(24)}  ${entry.help}` : `  ${verbs}\n  ${"".padEnd(24)}  ${entry.help}`;
    })
    .join("\n");
}
