import { Contact } from "./contact";
import { contacts } from "./state";

export function greet(): string {
  return "hello from the plugin";
}

contacts.push(new Contact(greet));
