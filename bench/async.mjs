// timer_callback_vs_call: a script timer's callback, fired by the host's event loop, against
// a plain host->script call of the same function. host_async_roundtrip_us: a script awaiting
// an async host function, from the call to the script's continuation.
import { writeFileSync } from "node:fs";
import path from "node:path";
import { createRuntime } from "graft";
import { median, percentile, tempDir } from "./fixtures.mjs";

const SCRIPT = `import { done, later } from "host";
let count = 0;
/** The callback: counts, and tells the host when the batch is complete. */
export function work(last: number): void { if (++count === last) done(); }
export function arm(n: number): void { count = 0; for (let i = 0; i < n; i++) setTimeout(work, 1, n); }
export function reset(): void { count = 0; }
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
 * Timers: the script arms `batch` setTimeout(work, 1, batch); the host then blocks its loop
 * long enough for all to be due, so that Node's timer phase fires them back to back. Per
 * callback: (when the last callback calls the host - when the loop was released) / batch:
 * Node's timer dispatch, graft's fire (one guarded VM call into the kernel's timer table),
 * the callback, the job-queue check after it. Calls: `work.invoke(batch)` `batch` times,
 * the same function doing the same work (one host call in the whole batch either way).
 * Rounds alternate which side goes first; the figure is the median of per-round ratios.
 */
async function benchTimers(runtime, state, { rounds, batch }) {
  const exports = runtime.exports("async.ts");
  const timerRound = async () => {
    exports.arm.invoke(batch);
    const finished = new Promise((resolve) => (state.done = () => resolve(performance.now())));
    spin(20);
    const released = performance.now();
    const ended = await finished;
    return ((ended - released) / batch) * 1000;
  };
  const callRound = () => {
    exports.reset.invoke();
    let ended = 0;
    state.done = () => (ended = performance.now());
    const started = performance.now();
    for (let i = 0; i < batch; i++) exports.work.invoke(batch);
    if (ended === 0) throw new Error("async bench: the calls did not complete the batch");
    return ((ended - started) / batch) * 1000;
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
  const state = { done: () => {} };
  const runtime = await createRuntime({
    scripts: dir,
    host: {
      done: () => state.done(),
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
