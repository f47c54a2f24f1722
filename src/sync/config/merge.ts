/**
 * Several files of one format read as one job: their sources and mappings
 * are concatenated in order, and a registry, destination or platform list
 * set differently by two files is an error.
 */
import { TugError } from '../../errors/index.ts';
import type { RegistryAccess, SyncSpec } from '../spec.ts';
import { Problems, type ConfigText } from './config-file.ts';
import type { ReadOptions, SyncReader } from './readers.ts';

function same(a: unknown, b: unknown): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

/** Concatenates specs of one format; settings given twice must agree. */
export function mergeSpecs(specs: SyncSpec[]): SyncSpec {
  const [head, ...rest] = specs;
  if (!head) throw new TugError('INTERNAL', 'mergeSpecs: no specs');
  const out: SyncSpec = { ...head, files: [...head.files], sources: [...head.sources], mappings: [...head.mappings], registries: { ...head.registries } };
  const from: Record<string, string> = Object.fromEntries(Object.keys(head.registries).map((k) => [k, head.files[0] ?? '']));
  for (const spec of rest) {
    const file = spec.files[0] ?? '-';
    out.files.push(...spec.files);
    out.sources.push(...spec.sources);
    out.mappings.push(...spec.mappings);
    for (const [host, access] of Object.entries(spec.registries)) {
      const prev: RegistryAccess | undefined = out.registries[host];
      // Compared, never printed: the settings may hold a password.
      if (prev !== undefined && !same(prev, access)) {
        throw Problems.fail(file, 1, `registry "${host}" is configured differently in ${from[host]} (expected each registry's settings in one file)`);
      }
      out.registries[host] = access;
      from[host] ??= file;
    }
    for (const field of ['destination', 'platforms'] as const) {
      if (spec[field] === undefined) continue;
      if (out[field] !== undefined && !same(out[field], spec[field])) {
        throw Problems.fail(file, 1, `${field} differs from the one in ${out.files[0]} (expected one ${field} for all sync files)`);
      }
      out[field] = spec[field] as never;
    }
  }
  return out;
}

/** A {@link SyncReader}'s `read` for a format whose files stand alone: each file read, then merged. */
export function eachFile(readOne: (input: ConfigText, options: ReadOptions) => SyncSpec): SyncReader['read'] {
  return (inputs, options) => mergeSpecs(inputs.map((i) => readOne(i, options)));
}
