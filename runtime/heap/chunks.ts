/**
 * How many elements the heap reader's long loops handle per call. A loop over a million
 * nodes run as one call per snapshot is compiled by V8 only while it runs (on-stack
 * replacement), and again during the next snapshots, which run partly in slower tiers
 * meanwhile. Run as a function called on CHUNK elements at a time (~100 calls a snapshot),
 * it is compiled as a whole during the first snapshot, and the next ones are fast from the start.
 */
export const CHUNK = 8192;
