/**
 * `redis://user:secret@host` → `redis://user:***@host` anywhere in a text, also where the URL
 * does not parse: everything between the user name and the last `@` before a space or quote
 * is taken as the password. Used wherever a given value can reach an error message.
 */
export function redactCredentials(text: string): string {
  return text.replace(/([a-z][a-z0-9+.-]*:\/\/)([^:@/\s"]*):([^\s"]*)@/gi, '$1$2:***@');
}
