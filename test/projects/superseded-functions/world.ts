import { Contact } from "./contact";
import { registry } from "./collide";
import { contacts } from "./state";

export function addContact(): Contact {
  const contact = new Contact(registry.circle);
  contacts.push(contact);
  return contact;
}

export function stepAll(): string[] {
  return contacts.map((contact) => (contact as Contact).evaluate());
}
