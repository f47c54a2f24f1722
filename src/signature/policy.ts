/**
 * containers-policy.json(5) as skopeo and podman read it: the model, the
 * strict reader, and which requirements apply to an image.
 *
 * The reader is as strict as containers/image: an unknown field, a wrong
 * type or an empty requirement list is one line naming the file and the
 * field (`policy.json: transports.docker["quay.io"][0].keyPath: ...`), so a
 * typo never turns a rule into "accept". Keys are read when a rule is used,
 * not when the file is read (a default policy may name keys of registries a
 * machine never pulls from).
 */
import { readFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { TugError } from '../errors/index.ts';
import { type SignedIdentity, DEFAULT_SIGNED_IDENTITY } from './simple-signing.ts';

/** What signatures are looked up by (a key file, or the key's PEM inline). */
export type KeySource = { path: string } | { data: string };

/** One requirement; an image must meet every requirement of the list that applies to it. */
export type Requirement =
  | { type: 'insecureAcceptAnything' }
  | { type: 'reject' }
  /** GPG simple signing (containers-signature(5)); read, but verified only by skopeo for now (see image-policy.ts). */
  | { type: 'signedBy'; keyType: string; keys: KeySource[]; signedIdentity: SignedIdentity }
  /**
   * A cosign signature by one of `keys`. `keyless` names the fields of
   * Fulcio / Rekor / PKI verification the file uses, which Tugboat does not
   * verify (an image under such a rule is refused, never accepted).
   */
  | { type: 'sigstoreSigned'; keys: KeySource[]; keyless: string[]; signedIdentity: SignedIdentity };

export interface Policy {
  /** The file it was read from, for messages. */
  file: string;
  default: Requirement[];
  /** transport name -> scope -> requirements (`""` is the transport's default). */
  transports: Map<string, Map<string, Requirement[]>>;
}

/** The default policy files, in the order skopeo looks: the user's, then the system's. */
export function defaultPolicyFiles(env: NodeJS.ProcessEnv = process.env): string[] {
  const home = env.HOME ?? homedir();
  return [join(home, '.config/containers/policy.json'), '/etc/containers/policy.json'];
}

type Json = unknown;

class PolicyReader {
  readonly file: string;
  constructor(file: string) {
    this.file = file;
  }

  fail(field: string, problem: string): TugError {
    return new TugError('USAGE', `${this.file}: ${field}: ${problem}`, { hint: 'see containers-policy.json(5); fix the file or pass --policy FILE' });
  }

  object(v: Json, field: string): Record<string, Json> {
    if (typeof v !== 'object' || v === null || Array.isArray(v)) throw this.fail(field, 'must be an object');
    return v as Record<string, Json>;
  }

  string(v: Json, field: string): string {
    if (typeof v !== 'string' || v === '') throw this.fail(field, 'must be a non-empty string');
    return v;
  }

  /** Refuses any key not in `allowed`: a misspelt key must not silently drop a rule. */
  only(obj: Record<string, Json>, allowed: readonly string[], field: string): void {
    for (const k of Object.keys(obj)) if (!allowed.includes(k)) throw this.fail(`${field}.${k}`, `unknown field (expected one of: ${allowed.join(', ')})`);
  }

  requirements(v: Json, field: string): Requirement[] {
    if (!Array.isArray(v)) throw this.fail(field, 'must be a list of requirements');
    if (v.length === 0) throw this.fail(field, 'an empty list of requirements is not allowed (use [{"type": "insecureAcceptAnything"}] to accept anything)');
    return v.map((r, i) => this.requirement(r, `${field}[${i}]`));
  }

  keys(obj: Record<string, Json>, field: string, names: { path: string; paths: string; data: string; datas: string }): KeySource[] {
    const out: KeySource[] = [];
    if (obj[names.path] !== undefined) out.push({ path: this.string(obj[names.path], `${field}.${names.path}`) });
    if (obj[names.data] !== undefined) out.push({ data: this.base64(obj[names.data], `${field}.${names.data}`) });
    for (const [name, kind] of [[names.paths, 'path'], [names.datas, 'data']] as const) {
      const list = obj[name];
      if (list === undefined) continue;
      if (!Array.isArray(list) || list.length === 0) throw this.fail(`${field}.${name}`, 'must be a non-empty list');
      list.forEach((x, i) => out.push(kind === 'path' ? { path: this.string(x, `${field}.${name}[${i}]`) } : { data: this.base64(x, `${field}.${name}[${i}]`) }));
    }
    return out;
  }

  /** keyData is base64 of the key file's bytes (containers-policy.json(5)). */
  base64(v: Json, field: string): string {
    const s = this.string(v, field);
    if (!/^[A-Za-z0-9+/]+={0,2}$/.test(s.replace(/\s/g, ''))) throw this.fail(field, 'must be base64 (of the key file)');
    return Buffer.from(s, 'base64').toString('utf8');
  }

  identity(v: Json, field: string): SignedIdentity {
    if (v === undefined) return DEFAULT_SIGNED_IDENTITY;
    const o = this.object(v, field);
    const type = this.string(o.type, `${field}.type`);
    switch (type) {
      case 'matchExact':
      case 'matchRepoDigestOrExact':
      case 'matchRepository':
        this.only(o, ['type'], field);
        return { type };
      case 'exactReference':
        this.only(o, ['type', 'dockerReference'], field);
        return { type, dockerReference: this.string(o.dockerReference, `${field}.dockerReference`) };
      case 'exactRepository':
        this.only(o, ['type', 'dockerRepository'], field);
        return { type, dockerRepository: this.string(o.dockerRepository, `${field}.dockerRepository`) };
      case 'remapIdentity':
        this.only(o, ['type', 'prefix', 'signedPrefix'], field);
        return { type, prefix: this.string(o.prefix, `${field}.prefix`), signedPrefix: this.string(o.signedPrefix, `${field}.signedPrefix`) };
      default:
        throw this.fail(`${field}.type`, `unknown signedIdentity type "${type}"`);
    }
  }

  requirement(v: Json, field: string): Requirement {
    const o = this.object(v, field);
    const type = this.string(o.type, `${field}.type`);
    switch (type) {
      case 'insecureAcceptAnything':
      case 'reject':
        this.only(o, ['type'], field);
        return { type };
      case 'signedBy': {
        this.only(o, ['type', 'keyType', 'keyPath', 'keyPaths', 'keyData', 'signedIdentity'], field);
        const keyType = this.string(o.keyType, `${field}.keyType`);
        if (keyType !== 'GPGKeys') throw this.fail(`${field}.keyType`, `"${keyType}" is not supported (only GPGKeys)`);
        const keys = this.keys(o, field, { path: 'keyPath', paths: 'keyPaths', data: 'keyData', datas: 'keyDatas' });
        if (['keyPath', 'keyPaths', 'keyData'].filter((k) => o[k] !== undefined).length !== 1) throw this.fail(field, 'exactly one of keyPath, keyPaths and keyData is required');
        return { type, keyType, keys, signedIdentity: this.identity(o.signedIdentity, `${field}.signedIdentity`) };
      }
      case 'sigstoreSigned': {
        const keyless = ['fulcio', 'pki', 'rekorPublicKeyPath', 'rekorPublicKeyPaths', 'rekorPublicKeyData', 'rekorPublicKeyDatas'];
        this.only(o, ['type', 'keyPath', 'keyPaths', 'keyData', 'keyDatas', 'signedIdentity', ...keyless], field);
        const keys = this.keys(o, field, { path: 'keyPath', paths: 'keyPaths', data: 'keyData', datas: 'keyDatas' });
        const used = keyless.filter((k) => o[k] !== undefined);
        const sources = ['keyPath', 'keyPaths', 'keyData', 'keyDatas', 'fulcio', 'pki'].filter((k) => o[k] !== undefined);
        if (sources.length !== 1) throw this.fail(field, 'exactly one of keyPath, keyPaths, keyData, keyDatas, fulcio and pki is required');
        return { type, keys, keyless: used, signedIdentity: this.identity(o.signedIdentity, `${field}.signedIdentity`) };
      }
      default:
        throw this.fail(`${field}.type`, `unknown requirement type "${type}"`);
    }
  }
}

/** Parses a policy's text; USAGE naming `file` and the bad field. */
export function parsePolicy(text: string, file: string): Policy {
  const r = new PolicyReader(file);
  let doc: Json;
  try {
    doc = JSON.parse(text);
  } catch (err) {
    throw r.fail('(file)', `not valid JSON: ${(err as Error).message}`);
  }
  const top = r.object(doc, '(file)');
  r.only(top, ['default', 'transports'], '(file)');
  if (top.default === undefined) throw r.fail('default', 'is missing (every policy needs a default, e.g. [{"type": "reject"}])');
  const policy: Policy = { file, default: r.requirements(top.default, 'default'), transports: new Map() };
  if (top.transports !== undefined) {
    for (const [transport, scopes] of Object.entries(r.object(top.transports, 'transports'))) {
      const map = new Map<string, Requirement[]>();
      for (const [scope, reqs] of Object.entries(r.object(scopes, `transports.${transport}`))) {
        map.set(scope, r.requirements(reqs, `transports.${transport}[${JSON.stringify(scope)}]`));
      }
      policy.transports.set(transport, map);
    }
  }
  return policy;
}

/** Reads and parses a policy file; USAGE naming the file when it cannot be read. */
export async function readPolicyFile(file: string): Promise<Policy> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    throw new TugError('USAGE', `cannot read policy ${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`, { hint: 'check --policy, or pass --insecure-policy to skip policy checks' });
  }
  return parsePolicy(text, file);
}

/**
 * The requirements for an image of `transport` with `scopes` (most specific
 * first, from ./scope.ts): the first scope the policy names, else the
 * transport's `""` scope, else the policy's default. `scope` says which
 * applied, for messages.
 */
export function requirementsFor(policy: Policy, transport: string, scopes: readonly string[]): { scope: string; requirements: Requirement[] } {
  const map = policy.transports.get(transport);
  if (map) {
    for (const s of [...scopes, '']) {
      const reqs = map.get(s);
      if (reqs) return { scope: s === '' ? `transports.${transport}[""]` : `transports.${transport}[${JSON.stringify(s)}]`, requirements: reqs };
    }
  }
  return { scope: 'default', requirements: policy.default };
}
