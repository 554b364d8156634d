import { createRuntime, describeInitialLoad } from "../host-api/index.js";
import type { CliIo, CliOptions } from "./io.js";

/**
 * `graft check <folder>`: loads every script once, as a host would at start-up, prints
 * every error (file:line:column, code frame, what to do) and a summary. Exit code 0 when
 * all scripts loaded, 1 when any failed.
 */
export async function check(folder: string, options: CliOptions, io: CliIo): Promise<number> {
  const runtime = await createRuntime({ scripts: folder, host: options.host, ...(options.timeout ? { timeout: options.timeout } : {}) });
  try {
    const report = runtime.initialReport;
    const [summary, ...errors] = describeInitialLoad(report);
    for (const line of errors) io.error(line);
    io.out(summary!);
    const failed = runtime.failures().length;
    io.out(failed === 0 ? `ok: every script of ${folder} loads` : `${failed} script${failed === 1 ? "" : "s"} failed to load`);
    return failed === 0 ? 0 : 1;
  } finally {
    runtime.dispose();
  }
}
