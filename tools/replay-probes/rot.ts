// Deterministic probe of rot.js for tools/replay-history.mjs: written into the scripts folder
// as src/__replay_probe__.ts, it imports the library as a game would, and every commit's
// long-lived runtime and fresh load must answer the same. Each probe resets the RNG's seed.
import * as ROT from "./index";

const R = ROT as any;

function attempt(probe: () => unknown): unknown {
  try {
    return probe();
  } catch (error) {
    return `threw ${(error as Error)?.name}: ${(error as Error)?.message}`;
  }
}

function hash(text: string): string {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 0x01000193) >>> 0;
  return `${text.length}:${h.toString(16)}`;
}

function mapOf(make: () => any): string {
  R.RNG.setSeed(7);
  const map = make();
  let cells = "";
  map.create((x: number, y: number, value: number) => {
    cells += `${x},${y}=${value};`;
  });
  const rooms = typeof map.getRooms === "function" ? map.getRooms().length : -1;
  return `${hash(cells)} rooms ${rooms}`;
}

export function probe(): unknown {
  return {
    names: Object.keys(ROT).sort(),
    rng: attempt(() => {
      R.RNG.setSeed(12345);
      return [R.RNG.getUniform(), R.RNG.getUniformInt(1, 100), R.RNG.getNormal(0, 1), R.RNG.getPercentage(), R.RNG.getItem([1, 2, 3, 4])];
    }),
    digger: attempt(() => mapOf(() => new R.Map.Digger(40, 20))),
    uniform: attempt(() => mapOf(() => new R.Map.Uniform(40, 20))),
    rogue: attempt(() => mapOf(() => new R.Map.Rogue(40, 20))),
    cellular: attempt(() => {
      R.RNG.setSeed(3);
      const map = new R.Map.Cellular(30, 20);
      map.randomize(0.5);
      for (let i = 0; i < 3; i++) map.create();
      let cells = "";
      map.create((x: number, y: number, value: number) => {
        cells += value;
      });
      return hash(cells);
    }),
    mazes: attempt(() => [mapOf(() => new R.Map.EllerMaze(21, 11)), mapOf(() => new R.Map.IceyMaze(21, 11)), mapOf(() => new R.Map.DividedMaze(21, 11))]),
    fov: attempt(() => {
      const open = (x: number, y: number) => !(x === 3 && y > 1 && y < 6);
      const seen: string[] = [];
      new R.FOV.PreciseShadowcasting(open).compute(5, 5, 6, (x: number, y: number, r: number) => seen.push(`${x},${y}:${r}`));
      const recursive: string[] = [];
      new R.FOV.RecursiveShadowcasting(open).compute(5, 5, 6, (x: number, y: number, r: number) => recursive.push(`${x},${y}:${r}`));
      return [hash(seen.sort().join(" ")), hash(recursive.sort().join(" "))];
    }),
    path: attempt(() => {
      const passable = (x: number, y: number) => x >= 0 && y >= 0 && x < 20 && y < 20 && !(x === 10 && y < 15);
      const steps: string[] = [];
      new R.Path.AStar(18, 2, passable).compute(2, 2, (x: number, y: number) => steps.push(`${x},${y}`));
      const dijkstra: string[] = [];
      new R.Path.Dijkstra(18, 2, passable, { topology: 4 }).compute(2, 2, (x: number, y: number) => dijkstra.push(`${x},${y}`));
      return [steps.length, hash(steps.join(" ")), dijkstra.length];
    }),
    scheduler: attempt(() => {
      const speed = new R.Scheduler.Speed();
      for (const [name, value] of [["slow", 50], ["mid", 100], ["fast", 200]] as const) speed.add({ name, getSpeed: () => value }, true);
      const order: string[] = [];
      for (let i = 0; i < 12; i++) order.push(speed.next().name);
      const simple = new R.Scheduler.Simple();
      simple.add("a", true);
      simple.add("b", false);
      for (let i = 0; i < 3; i++) order.push(simple.next());
      return order.join(" ");
    }),
    noise: attempt(() => {
      R.RNG.setSeed(11);
      const simplex = new R.Noise.Simplex();
      return [simplex.get(1.5, 2.5), simplex.get(-3.25, 0.75)];
    }),
    color: attempt(() => [R.Color.fromString("#abc"), R.Color.toHex(R.Color.interpolate([0, 0, 0], [255, 128, 64], 0.25)), R.Color.toRGB(R.Color.hsl2rgb([0.3, 0.5, 0.5]))]),
    text: attempt(() => R.Text.tokenize("%c{red}Hello%c{} world, a long line to wrap", 10).length),
    stringGenerator: attempt(() => {
      R.RNG.setSeed(5);
      const generator = new R.StringGenerator({ order: 2 });
      for (const word of ["alpha", "beta", "gamma", "delta", "epsilon"]) generator.observe(word);
      return [generator.generate(), generator.generate()];
    }),
    eventQueue: attempt(() => {
      const queue = new R.EventQueue();
      queue.add("a", 5);
      queue.add("b", 1);
      queue.add("c", 3);
      return [queue.get(), queue.get(), queue.getTime()];
    }),
  };
}
