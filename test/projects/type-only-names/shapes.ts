// An import of types re-exported without `type`, and one of a value beside them.
import { Clock, Id, SpeedActor } from "./scheduler/index";
import { BUILD, Shapes, VERSION } from "./declared";
export { Clock, Id, SpeedActor, BUILD, Shapes, VERSION };

export class Circle implements Shapes.Circle {
  constructor(readonly radius: number, readonly id: Id) {}
}
