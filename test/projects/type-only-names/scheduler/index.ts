// Re-exports without `type`: valid TypeScript, tsc sees that SpeedActor is an interface.
export { SpeedActor, Speed } from "./speed";
export * from "./types";
