import { label } from "./index";

export interface Shape {
  area(): number;
}

export class Circle implements Shape {
  constructor(readonly r: number) {}
  describe(): string {
    return label(this);
  }
  area(): number {
    return 3 * this.r * this.r;
  }
}
