// timer_callback_vs_call: a script timer's callback, fired by the host's event loop, against
// a plain host->script call of the same function. host_async_roundtrip_us: a script awaiting
// an async host function, from the call to the script's continuation.
import { writeFileSync } from "node:fs";
import path from "node:path";
import { createRuntime } from "graft";
import { median, percentile, tempDir } from "./fixtures.mjs";

const SCRIPT = `import { tick, later } from "host";
export function work(i: number): void { tick(i); }
export function arm(n: number): void { for (let i = 0; i < n; i++) setTimeout(work, 1, i); }
export async function awaitHost(n: number): Promise<number> {
  let sum = 0;
  for (let i = 0; i < n; i++) sum += await later(i);
  return sum;
}
export async function once(i: number): Promise<number> { return await later(i); }
`;

/** Blocks the event loop for `ms`: every timer armed before is then due, and fires back to back. */
function spin(ms) {
  const until = performance.now() + ms;
  while (performance.now() < until) {}
}

/**
 * Timers: the script arms `batch` setTimeout(work, 1, i); the host blocks its loop long
 * enough for all to be due, then Node's timer phase fires them back to back. Per callback:
 * (last tick - first tick) / (batch - 1), measured inside the host function `work` calls, so
 * it covers Node's timer dispatch, graft's fire (one guarded VM call), the callback, and
 * the job-queue check after it. Calls: `work.invoke(i)` in a loop of `batch`, same function,
 * same host call inside. Rounds alternate which side goes first; the figure is the median of
 * per-round ratios.
 */
async function benchTimers(runtime, state, { rounds, batch }) {
  const exports = runtime.exports("async.ts");
  const timerRound = async () => {
    state.ticks = [];
    exports.arm.invoke(batch);
    spin(20);
    await new Promise((resolve) => {
      state.done = () => state.ticks.length === batch && resolve();
    });
    state.done = undefined;
    return ((state.ticks.at(-1) - state.ticks[0]) / (batch - 1)) * 1000;
  };
  const callRound = () => {
    state.ticks = [];
    const started = performance.now();
    for (let i = 0; i < batch; i++) exports.work.invoke(i);
    return ((performance.now() - started) / batch) * 1000;
  };
  // Warm-up: both paths compiled by V8 before anything is measured.
  for (let i = 0; i < 6; i++) {
    await timerRound();
    callRound();
  }
  const ratios = [];
  const timerUs = [];
  const callUs = [];
  for (let round = 0; round < rounds; round++) {
    let timer;
    let call;
    if (round % 2 === 0) {
      timer = await timerRound();
      call = callRound();
    } else {
      call = callRound();
      timer = await timerRound();
    }
    ratios.push(timer / call);
    timerUs.push(timer);
    callUs.push(call);
  }
  return {
    timer_callback_vs_call: median(ratios),
    detail: { timer_callback_us: median(timerUs), call_us: median(callUs), callbacks_per_round: batch, rounds, ratio_p10: percentile(ratios, 0.1), ratio_p90: percentile(ratios, 0.9) },
  };
}

/**
 * One script loop awaits `later(i)` (an async host function returning i) `awaits` times:
 * per await, the host promise settles, graft resolves the VM promise and drains the job
 * queue, the script continues. Also the whole trip per call from the host:
 * `await once.invoke(i).promise()`.
 */
async function benchHostAsync(runtime, { rounds, awaits }) {
  const exports = runtime.exports("async.ts");
  const expected = (awaits * (awaits - 1)) / 2;
  const loopRound = async () => {
    const started = performance.now();
    const sum = (await exports.awaitHost.invoke(awaits).promise()).toHost();
    if (sum !== expected) throw new Error(`async bench: the script summed ${sum}, expected ${expected}`);
    return ((performance.now() - started) / awaits) * 1000;
  };
  const tripRound = async () => {
    const started = performance.now();
    for (let i = 0; i < awaits; i++) {
      const value = await exports.once.invoke(i).promise();
      if (value.toHost() !== i) throw new Error("async bench: wrong value");
    }
    return ((performance.now() - started) / awaits) * 1000;
  };
  for (let i = 0; i < 3; i++) {
    await loopRound();
    await tripRound();
  }
  const loop = [];
  const trip = [];
  for (let round = 0; round < rounds; round++) {
    loop.push(await loopRound());
    trip.push(await tripRound());
  }
  return { host_async_roundtrip_us: median(loop), detail: { host_to_script_and_back_us: median(trip), awaits_per_round: awaits, rounds, roundtrip_p90_us: percentile(loop, 0.9) } };
}

export async function benchAsync({ rounds = 20, batch = 2000, awaits = 2000 } = {}) {
  const dir = tempDir("async");
  writeFileSync(path.join(dir, "async.ts"), SCRIPT);
  const state = { ticks: [], done: undefined };
  const runtime = await createRuntime({
    scripts: dir,
    host: {
      tick: () => {
        state.ticks.push(performance.now());
        state.done?.();
      },
      later: async (i) => i,
    },
  });
  try {
    const timers = await benchTimers(runtime, state, { rounds, batch });
    const hostAsync = await benchHostAsync(runtime, { rounds, awaits });
    return { timer_callback_vs_call: timers.timer_callback_vs_call, host_async_roundtrip_us: hostAsync.host_async_roundtrip_us, detail: { ...timers.detail, ...hostAsync.detail } };
  } finally {
    runtime.dispose();
  }
}
