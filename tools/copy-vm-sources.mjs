// The in-VM kernel is evaluated as written (its lines are the VM's stack lines), so the
// build copies it next to the compiled host-side modules instead of letting tsc emit it.
import { cpSync, mkdirSync, readdirSync } from "node:fs";
import path from "node:path";

const root = path.resolve(import.meta.dirname, "..");
const from = path.join(root, "runtime/kernel/vm");
const to = path.join(root, "dist/runtime/kernel/vm");
mkdirSync(to, { recursive: true });
for (const name of readdirSync(from)) {
  if (name.endsWith(".js")) cpSync(path.join(from, name), path.join(to, name));
}
