/**
 * A refused write (422 `details.causes`, 409 AlreadyExists) shown where it
 * belongs: each cause next to the form field its `field` path names, the
 * rest above the form. Each form gives its path -> field table once.
 */
import { ApiError } from '../api/client.ts';

/**
 * `[server field path, form field]` rows; the first that matches wins. A
 * string matches the path exactly, a RegExp by `test`, a function when it
 * returns true.
 */
export type CauseFields<F extends string> = readonly (readonly [string | RegExp | ((path: string) => boolean), F])[];

export interface ServerErrors<F extends string> {
  /** For `form.setFields`. */
  fields: { name: F; errors: string[] }[];
  /** What no field can show (or the whole message when nothing else is known). */
  loose: string[];
}

export function fieldOf<F extends string>(table: CauseFields<F>, path: string | undefined): F | undefined {
  if (!path) return undefined;
  return table.find(([p]) => (typeof p === 'string' ? p === path : typeof p === 'function' ? p(path) : p.test(path)))?.[1];
}

/**
 * Sorts `err`'s causes into fields and loose messages; a name that exists
 * goes to `nameField`. `describe` words the whole error in the user's
 * language (components/ErrorText.tsx): it is what a name that exists, or an
 * error without causes, shows, rather than the server's English.
 */
export function serverErrors<F extends string>(err: unknown, table: CauseFields<F>, nameField: F, describe: (err: unknown) => string): ServerErrors<F> {
  if (!(err instanceof ApiError)) return { fields: [], loose: [describe(err)] };
  const fields: { name: F; errors: string[] }[] = [];
  const loose: string[] = [];
  const add = (name: F, message: string) => {
    const existing = fields.find((x) => x.name === name);
    if (existing) existing.errors.push(message);
    else fields.push({ name, errors: [message] });
  };
  for (const c of err.causes) {
    const f = fieldOf(table, c.field);
    if (f) add(f, c.message);
    else loose.push(c.field ? `${c.field}: ${c.message}` : c.message);
  }
  if (err.status?.reason === 'AlreadyExists') add(nameField, describe(err));
  if (fields.length === 0 && loose.length === 0) loose.push(describe(err));
  return { fields, loose };
}
