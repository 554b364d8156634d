// Deterministic probe of planck.js for tools/replay-history.mjs: written into the scripts
// folder as src/__replay_probe__.ts, it imports the library as a game would, builds a small
// world each time, steps it and reports where the bodies are; every commit's long-lived
// runtime and fresh load must answer the same.
import * as planck from "./index";

const P = planck as any;

function attempt(probe: () => unknown): unknown {
  try {
    return probe();
  } catch (error) {
    return `threw ${(error as Error)?.name}: ${(error as Error)?.message}`;
  }
}

const round = (value: number): string => (Number.isFinite(value) ? value.toFixed(6) : String(value));

function make(name: string, ...args: unknown[]): any {
  return new P[name](...args);
}

function world(): unknown {
  const w = make("World", { gravity: make("Vec2", 0, -10) });
  const ground = w.createBody();
  ground.createFixture(make("Edge", make("Vec2", -40, 0), make("Vec2", 40, 0)), 0);
  const bodies: any[] = [];
  for (let i = 0; i < 6; i++) {
    const body = w.createDynamicBody(make("Vec2", i * 0.3, 2 + i * 1.1));
    body.createFixture(i % 2 === 0 ? make("Box", 0.5, 0.5) : make("Circle", 0.4), { density: 1, friction: 0.3, restitution: 0.1 });
    bodies.push(body);
  }
  const contacts: number[] = [];
  for (let i = 0; i < 180; i++) {
    w.step(1 / 60);
    if (i % 30 === 0) {
      let count = 0;
      for (let c = w.getContactList(); c; c = c.getNext()) count++;
      contacts.push(count);
    }
  }
  return {
    bodies: bodies.map((body) => `${round(body.getPosition().x)},${round(body.getPosition().y)}@${round(body.getAngle())}`),
    contacts,
  };
}

export function probe(): unknown {
  return {
    names: Object.keys(planck).sort(),
    world: attempt(world),
    math: attempt(() => {
      const v = make("Vec2", 3, 4);
      const rot = make("Rot", 0.5);
      const xf = make("Transform", make("Vec2", 1, 2), 0.25);
      return [round(v.length()), round(P.Vec2.dot(v, make("Vec2", 1, 1))), round(rot.s), round(P.Transform.mulVec2(xf, v).x)];
    }),
    raycast: attempt(() => {
      const w = make("World", { gravity: make("Vec2", 0, 0) });
      const body = w.createBody(make("Vec2", 5, 0));
      body.createFixture(make("Box", 1, 1));
      const hits: string[] = [];
      w.rayCast(make("Vec2", 0, 0), make("Vec2", 10, 0), (fixture: unknown, point: any, normal: any, fraction: number) => {
        hits.push(`${round(point.x)},${round(point.y)} ${round(normal.x)} ${round(fraction)}`);
        return fraction;
      });
      return hits;
    }),
    joint: attempt(() => {
      const w = make("World", { gravity: make("Vec2", 0, -10) });
      const anchor = w.createBody(make("Vec2", 0, 10));
      const bob = w.createDynamicBody(make("Vec2", 3, 10));
      bob.createFixture(make("Circle", 0.25), 1);
      w.createJoint(make("RevoluteJoint", {}, anchor, bob, make("Vec2", 0, 10)));
      for (let i = 0; i < 120; i++) w.step(1 / 60);
      return `${round(bob.getPosition().x)},${round(bob.getPosition().y)}`;
    }),
  };
}

/**
 * A world made once and kept across commits (in the long-lived runtime only: a fresh load has
 * no earlier state), stepped at every commit: old state meeting new code. Its contacts keep
 * the collide functions they were made with, so after a commit that replaces those, leaks()
 * names them (held by `m_evaluateFcn` of Contact) and the world runs the old ones.
 */
export function persistent(): unknown {
  const data = (import.meta as any).hot.data;
  if (!data.world) {
    const w = make("World", { gravity: make("Vec2", 0, -10) });
    const ground = w.createBody();
    ground.createFixture(make("Edge", make("Vec2", -20, 0), make("Vec2", 20, 0)), 0);
    for (let i = 0; i < 4; i++) {
      const body = w.createDynamicBody(make("Vec2", i * 1.5, 0.5));
      body.createFixture(i % 2 === 0 ? make("Box", 0.5, 0.5) : make("Circle", 0.5), { density: 1, friction: 0.3 });
    }
    data.world = w;
    data.made = true;
  }
  const w = data.world;
  for (let i = 0; i < 30; i++) w.step(1 / 60);
  const positions: string[] = [];
  for (let body = w.getBodyList(); body; body = body.getNext()) positions.push(`${round(body.getPosition().x)},${round(body.getPosition().y)}`);
  return positions.some((text) => text.includes("NaN")) ? `NaN in the world: ${positions.join(" ")}` : `finite (${positions.length} bodies)`;
}
