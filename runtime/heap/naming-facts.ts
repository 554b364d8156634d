/**
 * What the heap decoder notes for naming objects once the walk is done: an object's own
 * `constructor`, `prototype` and `name`, and a function's name from its bytecode.
 */
import { NodeRefs } from "./sinks.js";

/**
 * Sparse facts about a few objects, for naming them after the reader is done. References
 * are addresses: the node a reference lands on is known only once the whole list is walked.
 */
export interface NamingFacts {
  /** Node -> address of the object in its own `constructor` / `prototype` property. */
  constructorOf: NodeRefs;
  prototypeOf: NodeRefs;
  /** Per node: string id of its own string `name` property, else of a function's name from its bytecode; 0 when none. */
  ownName: Int32Array;
  /** Per shape slot (NodeSink.shape): the address of the shape's prototype, or 0. */
  shapeProto: Uint32Array;
}


export class NamingNotes {
  readonly constructorOf = new NodeRefs();
  readonly prototypeOf = new NodeRefs();
  private ownName = new Int32Array(1 << 16);

  /** A node's own `name` string (read before its class data). */
  setOwnName(node: number, id: number): void {
    if (node >= this.ownName.length) {
      const grown = new Int32Array(Math.max(node + 1, this.ownName.length * 2));
      grown.set(this.ownName);
      this.ownName = grown;
    }
    this.ownName[node] = id;
  }

  /** A function's name from its bytecode: names it unless its own `name` property does. */
  setFunctionName(node: number, id: number): void {
    if (node >= this.ownName.length || this.ownName[node] === 0) this.setOwnName(node, id);
  }

  facts(shapeProto: Uint32Array): NamingFacts {
    return { constructorOf: this.constructorOf, prototypeOf: this.prototypeOf, ownName: this.ownName, shapeProto };
  }
}
