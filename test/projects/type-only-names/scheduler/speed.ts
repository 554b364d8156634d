import type { Clock } from "./index";

/** Anything the scheduler can order: an interface, so tsc elides it everywhere. */
export interface SpeedActor {
  getSpeed(): number;
}

export class Speed {
  private readonly queue: SpeedActor[] = [];
  constructor(readonly clock: Clock) {}
  add(actor: SpeedActor): this {
    this.queue.push(actor);
    this.queue.sort((a, b) => b.getSpeed() - a.getSpeed());
    return this;
  }
  next(): SpeedActor | undefined {
    return this.queue.shift();
  }
}
