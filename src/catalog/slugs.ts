import { Errors } from "../domain/errors.js";

const SLUG = /^[a-z0-9][a-z0-9._-]{0,62}$/;

export function isSlug(value: string): boolean {
  return SLUG.test(value);
}

export function assertSlug(slug: string, what: string): void {
  if (!SLUG.test(slug)) {
    throw Errors.usage(`${what} "${slug}" is not a valid slug: use lowercase letters, digits, ".", "_" and "-", starting with a letter or digit (at most 63 characters)`);
  }
}
