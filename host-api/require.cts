// `require("graft")` from CommonJS. graft is an ES module; Node 20.19+ and 22.12+ load ES
// modules through require(), older ones (or --no-experimental-require-module) cannot.
const features: { require_module?: boolean } = process.features;
if (!features.require_module) {
  throw new Error(
    `graft is an ES module package, and this Node (${process.version}) does not load ES modules through require(): ` +
      `use \`import { createRuntime } from "graft"\` (an .mjs file, or "type": "module" in package.json), ` +
      `or run Node 20.19+ / 22.12+ without --no-experimental-require-module, where require("graft") works`,
  );
}
module.exports = require("./index.js");
