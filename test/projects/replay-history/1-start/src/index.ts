// An import cycle (shapes.ts imports label from here) and a re-exported interface.
import type { Shape } from "./shapes";

export function label(shape: Shape): string {
  return `${shape.constructor.name} of area ${shape.area()}`;
}
export { Shape, Circle } from "./shapes";
