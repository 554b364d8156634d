import { label, type Shape } from "./index";

export class Square implements Shape {
  constructor(readonly side: number) {}
  describe(): string {
    return label(this);
  }
  area(): number {
    return this.side * this.side + 0;
  }
}
