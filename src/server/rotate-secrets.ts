/**
 * `tug serve rotate-secrets`: seals every stored Registry secret again with
 * the current key (and in the current format), so that the keys given with
 * --previous-secret-key-file can be retired. Safe to run while replicas
 * serve: each value is replaced only if nobody changed it meanwhile, and a
 * value that is already current is left alone, so a second run does nothing.
 *
 * The order that keeps every replica able to read (Kubernetes' KMS/aescbc
 * rotation): 1. give every replica the new key as a previous key; 2. make
 * it the current key everywhere, the old one previous; 3. run this; 4. drop
 * the old key.
 */
import type { Store } from '../store/types.ts';
import { type Secrets, registrySecretAad } from './secrets.ts';

export interface RotationReport {
  /** Sealed again with the current key. */
  rotated: string[];
  /** Already sealed with the current key in the current format. */
  current: string[];
  /** Changed by someone else while this ran (their value is kept). */
  raced: string[];
  /** Opened with no key given: `namespace/name: reason`. */
  failed: string[];
}

export async function rotateSecrets(store: Store, secrets: Secrets): Promise<RotationReport> {
  const report: RotationReport = { rotated: [], current: [], raced: [], failed: [] };
  for (const { namespace, name, secret } of await store.listSecrets('Registry')) {
    const id = `${namespace}/${name}`;
    const registry = await store.get('Registry', namespace, name);
    if (!registry) {
      report.raced.push(id);
      continue;
    }
    const aad = (version: Parameters<typeof registrySecretAad>[1]) => registrySecretAad(registry, version);
    try {
      if (secrets.isCurrent(secret, aad)) {
        report.current.push(id);
        continue;
      }
      const resealed = secrets.seal(secrets.open(secret, aad), registrySecretAad(registry));
      (await store.replaceSecret('Registry', namespace, name, secret, resealed) ? report.rotated : report.raced).push(id);
    } catch (err) {
      report.failed.push(`${id}: ${(err as Error).message}`);
    }
  }
  return report;
}
