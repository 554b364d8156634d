/** Something that lies in a room or a player's pack. */
export class Item {
  constructor(
    public name: string,
    public description: string,
  ) {}

  describe(): string {
    return `${this.name}: ${this.description}`;
  }
}
