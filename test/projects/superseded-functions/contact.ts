export type EvaluateFcn = (contact: Contact) => string;

export class Contact {
  hits = 0;
  // The collide function of its shape pair, chosen when the contact is made (as planck.js does).
  constructor(readonly m_evaluateFcn: EvaluateFcn) {}
  evaluate(): string {
    return this.m_evaluateFcn(this);
  }
}
