import { EDGE, type HeapData } from "./heap-data.js";
import { GcType } from "./layout.js";

/**
 * Which objects are an embedder's own plumbing rather than script data: those of one
 * context's realm (graft's kernel: its Safe* collections, tamed intrinsics, bookkeeping
 * records, instances of classes its sources define) and of the embedder's own classes
 * (quickjs-emscripten's HostRef, one per host function). A realm is told by where an object's prototype chain ends: each realm has its
 * own Object.prototype. Costs one edge scan an object; prototype chains are memoised.
 */
export function embedderObjects(data: HeapData, realmContext: number, sourcePrefix: string): Uint8Array {
  const { count, outStart, edgeTo, edgeType, edgeName, gcType, classId, strings, file } = data;
  // Prototypes of classes the embedder's own sources define (their chains may not end in the realm's Object.prototype).
  const ownFile = new Map<number, boolean>();
  const isOwnFile = (id: number): boolean => {
    let own = ownFile.get(id);
    if (own === undefined) ownFile.set(id, (own = id !== 0 && strings.get(id).startsWith(sourcePrefix)));
    return own;
  };
  const shapeEdge = strings.intern("shape");
  const protoEdge = strings.intern("prototype");
  const firstEdge = (node: number, type: number, name: number): number => {
    for (let e = outStart[node]!; e < outStart[node + 1]!; e++) if (edgeType[e] === type && edgeName[e] === name) return edgeTo[e]!;
    return -1;
  };
  const protoOf = (node: number): number => {
    const shape = firstEdge(node, EDGE.hidden, shapeEdge);
    return shape === -1 ? -1 : firstEdge(shape, EDGE.internal, protoEdge);
  };
  // The node a prototype chain ends at (the realm's Object.prototype), per object: memoised per prototype.
  const chainEnd = new Map<number, number>();
  const endOf = (node: number): number => {
    const seen: number[] = [];
    let current = node;
    let end = -1;
    for (let depth = 0; depth < 1000; depth++) {
      const known = chainEnd.get(current);
      if (known !== undefined) {
        end = known;
        break;
      }
      seen.push(current);
      const proto = protoOf(current);
      if (proto === -1 || seen.includes(proto)) {
        end = current;
        break;
      }
      current = proto;
    }
    for (const visited of seen) chainEnd.set(visited, end);
    return end;
  };
  const realmEnds = new Set<number>();
  for (const [global, context] of data.globals) if (context === realmContext) realmEnds.add(endOf(global));
  realmEnds.delete(-1);
  const mask = new Uint8Array(count);
  const firstEmbedderClass = Math.min(...data.embedderClasses.keys(), 0xffff);
  for (let i = 0; i < count; i++) {
    if (gcType[i] !== GcType.Object) continue;
    if (classId[i]! >= firstEmbedderClass) {
      mask[i] = 1;
      continue;
    }
    const proto = protoOf(i);
    if (proto !== -1 && (isOwnFile(file[proto]!) || realmEnds.has(endOf(proto)))) mask[i] = 1;
  }
  return mask;
}
