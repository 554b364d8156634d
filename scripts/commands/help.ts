import { commands } from "host";
import { Command } from "./base";

export class Help extends Command {
  static verbs = ["help", "?"];
  static help = "this list";

  execute(): string {
    const lines = commands().map((command) => {
      const verbs = command.verbs.join(", ");
      return verbs.length <= 24 ? `  ${verbs.padEnd(24)}  ${command.help}` : `  ${verbs}\n  ${"".padEnd(24)}  ${command.help}`;
    });
    return `Commands:\n${lines.join("\n")}`;
  }
}
