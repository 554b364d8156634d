import * as scheduler from "./scheduler/index";
import * as shapes from "./shapes";
import { Speed, type SpeedActor } from "./scheduler/index";
import { Circle, VERSION } from "./shapes";

class Runner implements SpeedActor {
  constructor(readonly name: string, readonly speed: number) {}
  getSpeed(): number {
    return this.speed;
  }
}

const speed = new Speed({ now: () => 0 }).add(new Runner("slow", 1)).add(new Runner("fast", 9));
export const first = (speed.next() as Runner).name;
export const circle = new Circle(2, 7).radius * VERSION;
export const schedulerNames = Object.keys(scheduler);
export const shapesNames = Object.keys(shapes);
