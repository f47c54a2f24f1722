/**
 * deploy/: every YAML document validates against its kind's Kubernetes API
 * schema (kubernetes-models), each overlay resolves like `kubectl apply -k`,
 * the cross-references hold (image, Secrets, PVC, ServiceAccount, ports,
 * probes), the pod is non-root, and the Deployment's own arguments start the
 * real `tug serve` (with files laid out as the Secret mounts them), whose
 * probe routes answer. No cluster needed.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { Deployment } from 'kubernetes-models/apps/v1';
import { PodDisruptionBudget } from 'kubernetes-models/policy/v1';
import { Namespace, PersistentVolumeClaim, Secret, Service, ServiceAccount } from 'kubernetes-models/v1';
import { imageName } from '../../scripts/image/image-name.ts';
import { API_PREFIX } from '../../src/api/types.ts';
import { serveCommand } from '../../src/cli/commands/serve.ts';
import { checkFileToken } from '../../src/server/auth.ts';
import { parseKey } from '../../src/server/secrets.ts';
import { spawnServe } from '../support/serve.ts';
import { tempDir } from '../support/tmp.ts';
import { runTug } from '../support/tug.ts';
import { type Container, type KubeObject, type Resource, containersOf, readObjects, resolveKustomization } from './kustomize.ts';

const DEPLOY = fileURLToPath(new URL('../../deploy/', import.meta.url));
const OVERLAYS = ['sqlite', 'postgres'] as const;

/** The schema of each kind deploy/ uses; a document of another kind fails the suite until it is added here. */
const MODELS: Record<string, new (obj: never) => { validate(): void }> = {
  'v1/Namespace': Namespace,
  'v1/ServiceAccount': ServiceAccount,
  'v1/Secret': Secret,
  'v1/Service': Service,
  'v1/PersistentVolumeClaim': PersistentVolumeClaim,
  'apps/v1/Deployment': Deployment,
  'policy/v1/PodDisruptionBudget': PodDisruptionBudget,
};

function yamlFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? yamlFiles(join(dir, e.name)) : /\.ya?ml$/.test(e.name) ? [join(dir, e.name)] : []));
}

/** The environment variables `tug serve` reads: every `process.env.NAME` in its command and its process wiring. */
const SERVE_ENV = new Set(
  ['../../src/cli/commands/serve.ts', '../../src/server/serve.ts'].flatMap((f) => [...readFileSync(new URL(f, import.meta.url), 'utf8').matchAll(/process\.env\.([A-Z_][A-Z0-9_]*)/g)].map((m) => m[1]!)),
);

/** Every object in deploy/, kustomizations left out, with its file. */
const ALL: Resource[] = yamlFiles(DEPLOY).flatMap((file) => readObjects(file).filter((o) => o.kind !== 'Kustomization').map((obj) => ({ file: relative(DEPLOY, file), obj })));

interface PodSpec {
  serviceAccountName?: string;
  automountServiceAccountToken?: boolean;
  securityContext?: Record<string, unknown>;
  volumes?: { name: string; secret?: { secretName: string }; persistentVolumeClaim?: { claimName: string }; emptyDir?: object }[];
  containers: (Container & {
    ports?: { name?: string; containerPort: number }[];
    env?: { name: string; valueFrom?: { secretKeyRef?: { name: string; key: string } } }[];
    volumeMounts?: { name: string; mountPath: string; readOnly?: boolean }[];
    securityContext?: Record<string, unknown>;
    resources?: { requests?: Record<string, string>; limits?: Record<string, string> };
    livenessProbe?: { httpGet?: { path: string; port: string | number } };
    readinessProbe?: { httpGet?: { path: string; port: string | number } };
    startupProbe?: { httpGet?: { path: string; port: string | number } };
  })[];
}

const podSpec = (d: KubeObject) => (d.spec as { template: { spec: PodSpec } }).template.spec;
const one = (objs: Resource[], kind: string) => {
  const found = objs.filter((r) => r.obj.kind === kind);
  assert.equal(found.length, 1, `one ${kind}, found ${found.length}`);
  return found[0]!.obj;
};
/** A Secret of deploy/ (applied or example) by name. */
const secretNamed = (name: string) => ALL.find((r) => r.obj.kind === 'Secret' && r.obj.metadata.name === name)?.obj as (KubeObject & { stringData?: Record<string, string> }) | undefined;
/** `--flag=value` / `--flag value` pairs of a container's args after the subcommand. */
function flagValue(args: readonly string[], flag: string): string | undefined {
  const i = args.findIndex((a) => a === flag || a.startsWith(`${flag}=`));
  if (i < 0) return undefined;
  return args[i]!.includes('=') ? args[i]!.slice(flag.length + 1) : args[i + 1];
}

describe('deploy/ manifests', () => {
  test('every document validates against its kind\'s Kubernetes schema', () => {
    assert.ok(ALL.length >= 9, `found only ${ALL.length} objects`);
    for (const { file, obj } of ALL) {
      const Model = MODELS[`${obj.apiVersion}/${obj.kind}`];
      assert.ok(Model, `${file}: ${obj.apiVersion} ${obj.kind} has no schema in MODELS`);
      assert.doesNotThrow(() => new Model(obj as never).validate(), `${file}: ${obj.kind} ${obj.metadata.name}`);
    }
  });

  test('the schema check is live: a wrong type fails it', () => {
    const d = structuredClone(ALL.find((r) => r.obj.kind === 'Deployment')!.obj) as KubeObject & { spec: { replicas: unknown } };
    d.spec.replicas = 'two';
    assert.throws(() => new Deployment(d as never).validate(), /replicas/);
  });

  test('the example Secrets are in no kustomization (an apply would overwrite the real ones), and their placeholders are refused by tug serve', () => {
    const applied = new Set(OVERLAYS.flatMap((o) => resolveKustomization(join(DEPLOY, 'overlays', o), DEPLOY)).map((r) => r.file));
    for (const r of ALL.filter((x) => x.obj.kind === 'Secret')) assert.ok(!applied.has(r.file), `${r.file} is applied by a kustomization`);
    const secrets = secretNamed('tugboat-secrets')!.stringData!;
    assert.throws(() => parseKey(secrets['secret.key']!, 'secret.key'), /32 bytes/);
    assert.throws(() => checkFileToken(secrets['admin-token']!), /without spaces/);
  });

  for (const overlay of OVERLAYS) {
    describe(`overlay ${overlay}`, () => {
      const objs = resolveKustomization(join(DEPLOY, 'overlays', overlay), DEPLOY);
      const deployment = one(objs, 'Deployment');
      const pod = podSpec(deployment);
      const container = pod.containers[0]!;
      const args = container.args ?? [];

      test('has the namespace, service account, service and one Deployment, each once, all in namespace tugboat', () => {
        for (const kind of ['Namespace', 'ServiceAccount', 'Service', 'Deployment']) one(objs, kind);
        const keys = objs.map((r) => `${r.obj.kind}/${r.obj.metadata.name}`);
        assert.equal(new Set(keys).size, keys.length, `duplicates in ${keys.join(', ')}`);
        for (const { obj } of objs) if (obj.kind !== 'Namespace') assert.equal(obj.metadata.namespace, 'tugboat', `${obj.kind}/${obj.metadata.name}`);
      });

      test('kubectl kustomize (when installed) builds the same objects', (t) => {
        const r = spawnSync('kubectl', ['kustomize', join(DEPLOY, 'overlays', overlay)], { encoding: 'utf8' });
        if (r.error) return t.skip('kubectl is not installed');
        assert.equal(r.status, 0, r.stderr);
        const theirs = r.stdout.split(/^---$/m).map((doc) => /^kind: (\S+)$/m.exec(doc)?.[1] + '/' + /^ {2}name: (\S+)$/m.exec(doc)?.[1]).sort();
        assert.deepEqual(theirs, objs.map((o) => `${o.obj.kind}/${o.obj.metadata.name}`).sort());
      });

      test(`runs the image npm run image names (${imageName()})`, () => {
        for (const c of containersOf(deployment)) assert.equal(c.image, imageName(), `container ${c.name}`);
        assert.deepEqual(args.slice(0, 1), ['serve'], 'the image\'s entrypoint is tug; args start with the subcommand');
      });

      test('every flag it passes is a flag of tug serve, and every env var one tug serve reads', () => {
        const known = new Set(serveCommand().options.map((o) => o.long));
        for (const a of args.slice(1)) {
          if (!a.startsWith('--')) continue;
          assert.ok(known.has(a.split('=')[0]!), `${a} is not a flag of tug serve`);
        }
        for (const e of container.env ?? []) assert.ok(SERVE_ENV.has(e.name), `env ${e.name} is not read by tug serve (it reads ${[...SERVE_ENV].join(', ')})`);
      });

      test('ports and probes: --listen binds all interfaces on the named container port; probes and the Service use it', () => {
        const listen = flagValue(args, '--listen')!;
        const port = container.ports!.find((p) => p.name === 'http')!;
        assert.equal(listen, `0.0.0.0:${port.containerPort}`);
        assert.equal(container.livenessProbe?.httpGet?.path, '/healthz');
        assert.equal(container.readinessProbe?.httpGet?.path, '/readyz');
        for (const p of [container.livenessProbe, container.readinessProbe, container.startupProbe]) assert.equal(p?.httpGet?.port, 'http');
        const service = one(objs, 'Service') as KubeObject & { spec: { selector: Record<string, string>; ports: { targetPort: string }[] } };
        assert.equal(service.spec.ports[0]!.targetPort, 'http');
        const podLabels = (deployment.spec as { template: { metadata: { labels: Record<string, string> } } }).template.metadata.labels;
        for (const [k, v] of Object.entries(service.spec.selector)) assert.equal(podLabels[k], v, `Service selector ${k}`);
      });

      test('names it references exist: service account, Secrets and their keys, volumes, claims', () => {
        assert.equal(pod.serviceAccountName, one(objs, 'ServiceAccount').metadata.name);
        const mounts = new Map((container.volumeMounts ?? []).map((m) => [m.name, m]));
        for (const v of pod.volumes ?? []) assert.ok(mounts.has(v.name), `volume ${v.name} is mounted nowhere`);
        for (const name of mounts.keys()) assert.ok(pod.volumes?.some((v) => v.name === name), `mount ${name} has no volume`);
        for (const v of pod.volumes ?? []) {
          if (v.secret) {
            const s = secretNamed(v.secret.secretName);
            assert.ok(s, `Secret ${v.secret.secretName} is documented nowhere in deploy/`);
            const dir = mounts.get(v.name)!.mountPath;
            for (const flag of ['--secret-key-file', '--admin-token-file']) {
              const path = flagValue(args, flag)!;
              assert.equal(path.slice(0, dir.length + 1), `${dir}/`, `${flag} is not in the Secret's mount`);
              assert.ok(path.slice(dir.length + 1) in s.stringData!, `${flag}: the Secret has no key ${path.slice(dir.length + 1)}`);
            }
          }
          if (v.persistentVolumeClaim) assert.ok(objs.some((r) => r.obj.kind === 'PersistentVolumeClaim' && r.obj.metadata.name === v.persistentVolumeClaim!.claimName), `PVC ${v.persistentVolumeClaim.claimName}`);
        }
        for (const e of container.env ?? []) {
          const ref = e.valueFrom?.secretKeyRef;
          if (ref) assert.ok(ref.key in (secretNamed(ref.name)?.stringData ?? {}), `env ${e.name}: Secret ${ref.name} key ${ref.key}`);
        }
      });

      test('non-root, read-only, no privileges, no service account token, bounded resources', () => {
        const podSc = pod.securityContext as { runAsNonRoot: boolean; runAsUser: number; seccompProfile: { type: string } };
        assert.equal(podSc.runAsNonRoot, true);
        assert.equal(podSc.runAsUser, 65532);
        assert.equal(podSc.seccompProfile.type, 'RuntimeDefault');
        const sc = container.securityContext as { allowPrivilegeEscalation: boolean; readOnlyRootFilesystem: boolean; capabilities: { drop: string[]; add?: string[] }; runAsNonRoot: boolean };
        assert.equal(sc.allowPrivilegeEscalation, false);
        assert.equal(sc.readOnlyRootFilesystem, true);
        assert.equal(sc.runAsNonRoot, true);
        assert.deepEqual(sc.capabilities.drop, ['ALL']);
        assert.equal(sc.capabilities.add, undefined);
        const tmp = container.volumeMounts!.find((m) => m.mountPath === '/tmp')!;
        assert.ok(pod.volumes!.find((v) => v.name === tmp.name)?.emptyDir, '/tmp is an emptyDir');
        assert.equal(pod.automountServiceAccountToken, false);
        assert.equal((one(objs, 'ServiceAccount') as { automountServiceAccountToken?: boolean }).automountServiceAccountToken, false);
        assert.ok(container.resources?.requests?.cpu && container.resources.requests.memory && container.resources.limits?.memory, 'requests cpu+memory, limit memory');
        assert.equal(one(objs, 'Namespace').metadata.labels?.['pod-security.kubernetes.io/enforce'], 'restricted');
      });

      if (overlay === 'sqlite') {
        test('SQLite: one replica, Recreate, the data directory on the PVC', () => {
          const spec = deployment.spec as { replicas: number; strategy: { type: string } };
          assert.equal(spec.replicas, 1);
          assert.equal(spec.strategy.type, 'Recreate');
          const data = flagValue(args, '--data');
          const mount = container.volumeMounts!.find((m) => m.mountPath === data);
          assert.ok(pod.volumes!.find((v) => v.name === mount?.name)?.persistentVolumeClaim, `--data ${data} is on the PVC`);
        });
      } else {
        test('PostgreSQL: 2+ replicas rolled without downtime, TUG_DATABASE from a Secret, a PodDisruptionBudget over the pods', () => {
          const spec = deployment.spec as { replicas: number; strategy: { rollingUpdate: { maxUnavailable: number } }; selector: { matchLabels: Record<string, string> } };
          assert.ok(spec.replicas >= 2);
          assert.equal(spec.strategy.rollingUpdate.maxUnavailable, 0);
          assert.ok(container.env?.find((e) => e.name === 'TUG_DATABASE')?.valueFrom?.secretKeyRef, 'TUG_DATABASE comes from a Secret');
          assert.equal(flagValue(args, '--database'), undefined, 'the URL (with its password) is never in args');
          const pdb = one(objs, 'PodDisruptionBudget') as KubeObject & { spec: { minAvailable: number; selector: { matchLabels: Record<string, string> } } };
          assert.deepEqual(pdb.spec.selector.matchLabels, spec.selector.matchLabels);
          assert.ok(pdb.spec.minAvailable < spec.replicas);
        });
      }
    });
  }
});

describe('the Deployment\'s command runs', () => {
  const sqlite = resolveKustomization(join(DEPLOY, 'overlays', 'sqlite'), DEPLOY);
  const deployment = sqlite.find((r) => r.obj.kind === 'Deployment')!.obj;
  const container = podSpec(deployment).containers[0]!;

  /** The Deployment's args with its absolute paths moved under `root` and the port left to the kernel. */
  const localArgs = (root: string) => container.args!.slice(1).map((a) => (a.startsWith('--listen') ? '--listen=127.0.0.1:0' : a.replace(/=\//, `=${root}/`)));

  /** Lays out the Secret's files under `root` as the kubelet mounts them. */
  function mountSecret(root: string, values: Record<string, string>) {
    const dir = join(root, container.volumeMounts!.find((m) => m.name === 'secrets')!.mountPath);
    mkdirSync(dir, { recursive: true });
    for (const [k, v] of Object.entries(values)) writeFileSync(join(dir, k), v, { mode: 0o440 });
  }

  test('with generated secrets: tug serve starts, its probes answer 200, the admin token from the Secret works', async (t) => {
    const root = tempDir(t, 'tug-deploy-');
    const token = spawnSync('openssl', ['rand', '-base64', '32'], { encoding: 'utf8' }).stdout.trim();
    const key = spawnSync('openssl', ['rand', '-base64', '32'], { encoding: 'utf8' }).stdout;
    assert.equal(token.length, 44);
    mountSecret(root, { 'secret.key': key, 'admin-token': token });
    const server = await spawnServe(localArgs(root));
    t.after(() => server.stop());
    for (const probe of [container.livenessProbe!, container.readinessProbe!]) {
      const res = await fetch(`${server.url}${probe.httpGet!.path}`);
      assert.equal(res.status, 200, probe.httpGet!.path);
    }
    const who = await fetch(`${server.url}${API_PREFIX}/whoami`, { headers: { authorization: `Bearer ${token}` } });
    assert.equal(who.status, 200);
    assert.doesNotMatch(server.stderr(), /first start: an admin token was generated/);
  });

  test('with the example Secret\'s placeholders: tug serve refuses to start, naming the file', async (t) => {
    const root = tempDir(t, 'tug-deploy-');
    mountSecret(root, secretNamed('tugboat-secrets')!.stringData!);
    const r = await runTug(['serve', ...localArgs(root)], { timeoutMs: 30_000 });
    assert.equal(r.code, 2, r.stderr);
    assert.match(r.stderr, /--secret-key-file \S+secret\.key must hold 32 bytes/);
  });

  test('with the example database Secret\'s placeholder: refused before any store is opened, the value not echoed', async (t) => {
    const root = tempDir(t, 'tug-deploy-');
    const url = secretNamed('tugboat-database')!.stringData!.url!;
    const r = await runTug(['serve', '--listen=127.0.0.1:0', `--data=${root}/data`], { env: { TUG_DATABASE: url }, timeoutMs: 30_000 });
    assert.equal(r.code, 2, r.stderr);
    assert.match(r.stderr, /TUG_DATABASE is set but is not a postgres:\/\/ or postgresql:\/\/ URL/);
    assert.doesNotMatch(r.stderr, /PASSWORD/);
    assert.deepEqual(readdirSync(root), [], 'no SQLite store was created');
  });
});
