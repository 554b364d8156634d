// Types only: `export * from "./types"` adds no value.
export type Id = number;
export interface Clock {
  now(): number;
}
