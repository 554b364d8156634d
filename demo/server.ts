#!/usr/bin/env node
import { parseArgs } from "node:util";
import { GameServer } from "./game.js";

const { values } = parseArgs({
  options: {
    port: { type: "string", default: "4000" },
    scripts: { type: "string", default: "scripts" },
    wizards: { type: "string", default: "wizard,admin" },
  },
});

const port = Number(values.port);
if (!Number.isInteger(port) || port < 0 || port > 65535) {
  console.error(`--port must be a port number, got '${values.port}'`);
  process.exit(2);
}

const game = await GameServer.start({
  port,
  scripts: values.scripts,
  wizards: values.wizards.split(",").map((name) => name.trim().toLowerCase()).filter(Boolean),
});

let stopping = false;
const stop = (): void => {
  if (stopping) return;
  stopping = true;
  console.log("\nstopping: closing connections and disposing the VM");
  game.stop().then(
    () => process.exit(0),
    (error: unknown) => {
      console.error(error);
      process.exit(1);
    },
  );
};
process.on("SIGINT", stop);
process.on("SIGTERM", stop);
