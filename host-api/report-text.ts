import type { ClassPatch, ReloadError, ReloadReport } from "./types.js";

/*
 * Reload reports as console lines, the way the demo server and the graft CLI print them:
 * what a designer wants to see after a save.
 */

/** One line for the start-up load, then any failures. */
export function describeInitialLoad(report: ReloadReport): string[] {
  const classes = report.patched.length;
  const lines = [`[load] ${count(report.files.length, "script")}, ${count(classes, "class", "classes")} in ${report.durationMs.toFixed(0)} ms`];
  for (const error of report.errors) lines.push(indent(describeError(error)));
  return lines;
}

/** What a designer wants to see on the console after a save. */
export function describeReload(report: ReloadReport): string[] {
  const lines: string[] = [];
  const files = [...report.files, ...report.removed.map((file) => `${file} (deleted)`)];
  if (report.errors.length > 0) {
    const failed = [...new Set(report.errors.map((error) => error.file))].join(", ");
    // Each error's text ends by saying what runs meanwhile (the previous version, or nothing of a new file).
    lines.push(`[reload] ${failed}: FAILED`);
    for (const error of report.errors) lines.push(indent(describeError(error)));
    // What did apply (the batch, or retries of files that waited) before another file failed.
    if (files.length === 0) return lines;
  }
  for (const file of report.recovered) lines.push(`[reload] ${file}: fine again (back to the running version; the broken edit was undone)`);
  if (files.length === 0) return lines;
  const rerun = new Set(report.rerun);
  const named = files.filter((file) => !rerun.has(file));
  const reruns = report.rerun.length > 0 ? ` (+ ${report.rerun.length} importing file${report.rerun.length === 1 ? "" : "s"} re-run)` : "";
  lines.push(`[reload] ${(named.length > 0 ? named : files).join(", ")}${named.length > 0 ? reruns : ""} in ${report.durationMs.toFixed(1)} ms`);
  for (const patch of report.patched) lines.push(`  ${describePatch(patch)}`);
  for (const retired of report.retired) lines.push(`  ${retired.name} (${retired.file}) retired: no longer defined`);
  for (const warning of report.warnings ?? []) lines.push(`  warning: ${warning}`);
  return lines;
}

export function describePatch(patch: ClassPatch): string {
  if (patch.created) return `${patch.name}: new class`;
  const parts: string[] = [];
  const section = (label: string, changes: ClassPatch["prototype"]): void => {
    const items = [
      ...changes.added.map((name) => `+${name}`),
      ...changes.changed.map((name) => `~${name}`),
      ...changes.removed.map((name) => `-${name}`),
    ];
    if (items.length > 0) parts.push(`${label} ${items.join(" ")}`);
  };
  section("members", patch.prototype);
  if (patch.fields && patch.fields.added.length > 0) {
    const given = patch.fields.instances;
    const added = patch.fields.added.map((name) => `+${name}`).join(" ");
    parts.push(`fields ${added}${given > 0 ? ` on ${given} live instance${given === 1 ? "" : "s"}` : ""}`);
  }
  section("static", patch.static);
  if (patch.newBase) parts.push(`now extends ${patch.newBase}`);
  return `${patch.name}: patched to v${patch.version}${parts.length > 0 ? ` (${parts.join("; ")})` : " (no member changes)"}`;
}

export function describeError(error: ReloadError): string {
  return error.text;
}

function indent(text: string): string {
  return text
    .split("\n")
    .map((line) => `  ${line}`)
    .join("\n");
}

function count(n: number, one: string, many = `${one}s`): string {
  return `${n} ${n === 1 ? one : many}`;
}
