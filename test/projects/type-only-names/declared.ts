// Declared values are types to a compiler of this file alone: nothing defines them here.
export declare const BUILD: string;
export declare function hostLog(text: string): void;
export namespace Shapes {
  export interface Circle {
    radius: number;
  }
}
export const VERSION = 3;
