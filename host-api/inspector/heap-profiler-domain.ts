import { ChunkFrames } from "./chunk-frames.js";
import { ProtocolError } from "./remote-objects.js";
import type { Domain, SessionContext } from "./session.js";

/**
 * The HeapProfiler domain: graft's full GC, and heap snapshots streamed to the Memory tab
 * one piece (about a MiB) at a time, each sent once the socket has taken the one before:
 * the host holds the heap graph and a piece or two, never the snapshot's whole JSON.
 */
export function heapProfilerDomain(session: SessionContext): Domain {
  const { runtime } = session;
  let streaming = false;
  const notSupported = (what: string) => () => {
    throw new ProtocolError(`graft does not offer ${what}: take a heap snapshot instead`);
  };
  return {
    methods: {
      enable: () => ({}),
      disable: () => ({}),
      collectGarbage() {
        runtime.gc();
        return {};
      },
      async takeHeapSnapshot(params) {
        if (streaming) throw new ProtocolError("a heap snapshot is being sent to this client already; wait for it to finish");
        streaming = true;
        try {
          const { nodes, pieces } = runtime.heapTools.snapshotPieces();
          if (params.reportProgress === true) {
            session.event("HeapProfiler.reportHeapSnapshotProgress", { done: 0, total: nodes });
            session.event("HeapProfiler.reportHeapSnapshotProgress", { done: nodes, total: nodes, finished: true });
          }
          const frames = new ChunkFrames();
          for (const piece of pieces) {
            if (!session.open) {
              pieces.return(undefined);
              return {};
            }
            await session.sendDrained(frames.frame(piece));
          }
          if (frames.pending) await session.sendDrained(frames.frame(new Uint8Array(0), true));
          return {};
        } finally {
          streaming = false;
        }
      },
      addInspectedHeapObject: () => ({}),
      getObjectByHeapObjectId: notSupported("objects by heap snapshot id"),
      getHeapObjectId: notSupported("heap object ids of values"),
      startTrackingHeapObjects: notSupported("allocation timelines"),
      stopTrackingHeapObjects: notSupported("allocation timelines"),
      startSampling: notSupported("allocation sampling"),
      stopSampling: notSupported("allocation sampling"),
      getSamplingProfile: notSupported("allocation sampling"),
    },
  };
}
