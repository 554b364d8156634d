import type { ClassPatch, ReloadError, ReloadReport } from "graft";

/** One line for the start-up load, then any failures. */
export function describeInitialLoad(report: ReloadReport): string[] {
  const classes = report.patched.length;
  const lines = [`[load] ${report.files.length} scripts, ${classes} classes in ${report.durationMs.toFixed(0)} ms`];
  for (const error of report.errors) lines.push(indent(describeError(error)));
  return lines;
}

/** What a designer wants to see on the console after a save. */
export function describeReload(report: ReloadReport): string[] {
  const lines: string[] = [];
  const files = [...report.files, ...report.removed.map((file) => `${file} (deleted)`)];
  if (report.errors.length > 0) {
    const failed = [...new Set(report.errors.map((error) => error.file))].join(", ");
    lines.push(`[reload] ${failed}: FAILED, previous version kept`);
    for (const error of report.errors) lines.push(indent(describeError(error)));
    return lines;
  }
  lines.push(`[reload] ${files.join(", ")} in ${report.durationMs.toFixed(1)} ms`);
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
