/**
 * containers-registries.d(5), as far as Tugboat has anything to honour in
 * it. Those files say where simple-signing signatures live (`lookaside`,
 * `lookaside-staging`, and their old names `sigstore`, `sigstore-staging`)
 * and whether cosign attachments are read (`use-sigstore-attachments`).
 * Tugboat always reads cosign attachments from the registry and has no
 * lookaside store, so a directory that names one cannot be honoured: it is
 * refused with one line rather than ignored (skopeo's `--registries.d`).
 */
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parse } from 'yaml';
import { TugError } from '../errors/index.ts';

const LOOKASIDE_KEYS = ['lookaside', 'lookaside-staging', 'sigstore', 'sigstore-staging'] as const;

/** Where in `doc` (a parsed registries.d file) a lookaside store is named, as `default-docker.lookaside`; undefined when nowhere. */
export function lookasideField(doc: unknown): string | undefined {
  if (typeof doc !== 'object' || doc === null) return undefined;
  const top = doc as Record<string, unknown>;
  const scopes: [string, unknown][] = [['default-docker', top['default-docker']]];
  const docker = top.docker;
  if (typeof docker === 'object' && docker !== null) for (const [scope, v] of Object.entries(docker)) scopes.push([`docker.${scope}`, v]);
  for (const [where, value] of scopes) {
    if (typeof value !== 'object' || value === null) continue;
    const key = LOOKASIDE_KEYS.find((k) => (value as Record<string, unknown>)[k] !== undefined);
    if (key) return `${where}.${key}`;
  }
  return undefined;
}

/**
 * Checks a `--registries.d` directory: USAGE naming the file and field when
 * one of its `*.yaml` files names a lookaside signature store, or a file is
 * not YAML; IO when the directory cannot be read. Resolves when there is
 * nothing Tugboat would have to do differently.
 */
export async function checkRegistriesD(dir: string): Promise<void> {
  let names: string[];
  try {
    names = (await readdir(dir)).filter((n) => n.endsWith('.yaml') || n.endsWith('.yml')).sort();
  } catch (err) {
    throw new TugError('IO', `cannot read --registries.d ${dir}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`, { hint: 'give a directory of registries.d(5) YAML files' });
  }
  for (const name of names) {
    const file = join(dir, name);
    let doc: unknown;
    try {
      doc = parse(await readFile(file, 'utf8'), { maxAliasCount: 100 });
    } catch (err) {
      throw new TugError('USAGE', `${file}: not YAML (${err instanceof Error ? err.message.split('\n')[0] : String(err)})`, { hint: 'fix the file or leave --registries.d out' });
    }
    const field = lookasideField(doc);
    if (field) {
      throw new TugError('USAGE', `${file}: ${field} names a lookaside signature store, which tug does not read`, {
        hint: 'tug verifies cosign signatures stored in the registry (--require-signed, policy.json sigstoreSigned); use skopeo for lookaside signatures',
      });
    }
  }
}
