import { commands } from "host";
import { Command } from "./base";

export class Help extends Command {
  static verbs = ["help", "?"];
  static help = "this list";

  execute(): string {
    const lines = commands().map((command) => `  ${command.verbs.join(", ").padEnd(28)} ${command.help}`);
    return `Commands:\n${lines.join("\n")}`;
  }
}
