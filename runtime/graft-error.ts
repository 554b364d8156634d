/**
 * Misuse of the host API, or a state of the runtime that stops a call: a wrong argument, a
 * disposed value, an unknown class, a crashed VM. Defined here so that the runtime layer can
 * raise it too; the host API exports it (host-api/errors.ts).
 */
export class GraftError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "GraftError";
  }
}
