// What graft keeps on purpose while a version runs: a timer its top level started (cancelled
// when the version is replaced), a dispose callback, data in hot.data.
let ticks = 0;
function tick(): void {
  ticks += 1;
}
function stop(data: { stopped?: number }): void {
  data.stopped = ticks;
}
const timer = setInterval(tick, 60_000);
import.meta.hot?.dispose(stop);
import.meta.hot!.data.runs = ((import.meta.hot!.data.runs as number | undefined) ?? 0) + 1;
export const label = "ticker v1";
export const started = typeof timer;
