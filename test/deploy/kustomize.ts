/**
 * Enough of kustomize to read deploy/ without a cluster or a kustomize
 * binary: a kustomization's `resources` (files and directories, recursively),
 * its `namespace` (set on namespaced objects) and `images` (newName / newTag
 * on containers). deploy/ uses nothing else; {@link resolveKustomization}
 * refuses any other transforming field rather than silently ignore it.
 */
import { readFileSync, statSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { parseAllDocuments } from 'yaml';

/** One Kubernetes object and the file it came from (relative to deploy/). */
export interface Resource {
  file: string;
  obj: KubeObject;
}

export interface KubeObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string> };
  [field: string]: unknown;
}

/** Fields of a Kustomization this reader applies; `labels` only adds labels, which no check here depends on. */
const UNDERSTOOD = new Set(['apiVersion', 'kind', 'namespace', 'resources', 'images', 'labels']);
/** Kinds with no namespace. */
const CLUSTER_SCOPED = new Set(['Namespace', 'ClusterRole', 'ClusterRoleBinding', 'PersistentVolume', 'StorageClass', 'CustomResourceDefinition']);

/** Every YAML document of `file`, each checked to be a Kubernetes object with a name. */
export function readObjects(file: string): KubeObject[] {
  const docs = parseAllDocuments(readFileSync(file, 'utf8'));
  return docs.map((doc, i) => {
    if (doc.errors.length > 0) throw new Error(`${file} document ${i + 1}: ${doc.errors[0]!.message}`);
    const obj = doc.toJS() as Partial<KubeObject> | null;
    if (!obj || typeof obj.apiVersion !== 'string' || typeof obj.kind !== 'string') throw new Error(`${file} document ${i + 1}: no apiVersion/kind`);
    if (obj.kind !== 'Kustomization' && typeof obj.metadata?.name !== 'string') throw new Error(`${file} document ${i + 1}: no metadata.name`);
    return obj as KubeObject;
  });
}

interface Kustomization {
  namespace?: string;
  resources?: string[];
  images?: { name: string; newName?: string; newTag?: string }[];
}

/** The objects `kubectl kustomize DIR` would print (same content for the fields checked), with their source files. */
export function resolveKustomization(dir: string, root: string): Resource[] {
  const [k] = readObjects(join(dir, 'kustomization.yaml')) as unknown as [Kustomization & Record<string, unknown>];
  for (const field of Object.keys(k)) if (!UNDERSTOOD.has(field)) throw new Error(`${join(dir, 'kustomization.yaml')}: field "${field}" is not understood by test/deploy/kustomize.ts`);
  const out: Resource[] = [];
  for (const entry of k.resources ?? []) {
    const path = resolve(dir, entry);
    if (statSync(path).isDirectory()) out.push(...resolveKustomization(path, root));
    else for (const obj of readObjects(path)) out.push({ file: relative(root, path), obj });
  }
  for (const { obj } of out) {
    if (k.namespace && !CLUSTER_SCOPED.has(obj.kind)) obj.metadata.namespace = k.namespace;
    for (const c of containersOf(obj)) {
      const rule = k.images?.find((i) => c.image === i.name || c.image.startsWith(`${i.name}:`) || c.image.startsWith(`${i.name}@`));
      if (rule) c.image = `${rule.newName ?? rule.name}:${rule.newTag ?? c.image.slice(rule.name.length + 1)}`;
    }
  }
  return out;
}

export interface Container {
  name: string;
  image: string;
  args?: string[];
  [field: string]: unknown;
}

/** The containers (and init containers) of a workload's pod template. */
export function containersOf(obj: KubeObject): Container[] {
  const spec = (obj.spec as { template?: { spec?: { containers?: Container[]; initContainers?: Container[] } } } | undefined)?.template?.spec;
  return [...(spec?.containers ?? []), ...(spec?.initContainers ?? [])];
}
