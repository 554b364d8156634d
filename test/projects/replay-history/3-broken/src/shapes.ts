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
    return Math.round(Math.PI * this.r * this.r);
  }
}
