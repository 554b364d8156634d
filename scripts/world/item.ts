import texts from "./descriptions.json" with { type: "json" };

/** Something that lies in a room or a player's pack. */
export class Item {
  constructor(
    public name: string,
    public description: string,
  ) {}

  describe(): string {
    return `${this.name}: ${Item.textOf(this.name) ?? this.description}`;
  }

  /** An item's text in descriptions.json (crates share one: "crate 12" reads "crate"). */
  static textOf(name: string): string | undefined {
    const items = texts.items as Record<string, string | undefined>;
    return items[name] ?? items[name.replace(/ \d+$/, "")];
  }
}
