import { describe, expect, it } from "vitest";
import { ChunkFrames } from "../host-api/inspector/chunk-frames.js";

describe("HeapProfiler.addHeapSnapshotChunk frames made from UTF-8 pieces", () => {
  it("are valid JSON messages whose chunks join back to the text, wherever a piece ends (inside a character too)", () => {
    const text = `{"strings":["caf\u00e9","\u20ac 5","\u{1F600}","quote \\" and \\\\ back","line\\nnext"]}\n\t\u0001end`;
    const bytes = Buffer.from(text, "utf8");
    for (let cut = 0; cut <= bytes.length; cut++) {
      for (const second of [cut, Math.min(bytes.length, cut + 1), Math.min(bytes.length, cut + 3)]) {
        const frames = new ChunkFrames();
        const messages = [frames.frame(bytes.subarray(0, cut)), frames.frame(bytes.subarray(cut, second)), frames.frame(bytes.subarray(second))];
        expect(frames.pending).toBe(false);
        const chunks = messages.map((message) => {
          // Valid UTF-8 (a WebSocket text frame must be) and valid JSON.
          expect(Buffer.from(message.toString("utf8"), "utf8").equals(message)).toBe(true);
          const parsed = JSON.parse(message.toString("utf8")) as { method: string; params: { chunk: string } };
          expect(parsed.method).toBe("HeapProfiler.addHeapSnapshotChunk");
          return parsed.params.chunk;
        });
        expect(chunks.join("")).toBe(text);
      }
    }
  });
});
