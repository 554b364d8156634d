import type { Contact } from "./contact";

export function collideCircles(contact: Contact): string {
  contact.hits += 1;
  return "circles v1";
}

export const registry = { circle: collideCircles };
