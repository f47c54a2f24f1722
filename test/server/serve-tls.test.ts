/**
 * The real `tug serve` over TLS: certificates made by the real `openssl`, a
 * client that trusts only the test CA and reads the certificate the server
 * presents. Renewal is replaced files: picked up on SIGHUP, and without a
 * signal when the files are renamed into place (a Kubernetes Secret volume's
 * `..data` swap, a plain `mv`). A pair that does not load keeps the old one.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, renameSync, symlinkSync, writeFileSync } from 'node:fs';
import { get } from 'node:https';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { connect } from 'node:tls';
import { type ServeProcess, spawnServe } from '../support/serve.ts';
import { tempDir } from '../support/tmp.ts';
import { runTug } from '../support/tug.ts';
import { waitFor } from '../support/wait.ts';

let work: string;
let caCert: Buffer;
const servers = new Set<ServeProcess>();

interface Leaf {
  cert: string;
  key: string;
  fingerprint256: string;
}

let serial = 1;
/** A leaf for 127.0.0.1 / localhost signed by the test CA; every call a new key and serial. */
function leaf(cn: string): Leaf {
  const dir = mkdtempSync(join(work, 'leaf-'));
  const [key, csr, cert, ext] = ['leaf.key', 'leaf.csr', 'leaf.crt', 'ext.cnf'].map((f) => join(dir, f)) as [string, string, string, string];
  writeFileSync(ext, 'subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\n');
  openssl('req', '-new', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', key, '-out', csr, '-subj', `/CN=${cn}`);
  openssl('x509', '-req', '-in', csr, '-CA', join(work, 'ca.crt'), '-CAkey', join(work, 'ca.key'), '-set_serial', String(++serial), '-days', '2', '-extfile', ext, '-out', cert);
  const pem = readFileSync(cert, 'utf8');
  return { cert: pem, key: readFileSync(key, 'utf8'), fingerprint256: new X509Certificate(pem).fingerprint256 };
}

function openssl(...args: string[]): void {
  execFileSync('openssl', args, { stdio: ['ignore', 'ignore', 'pipe'] });
}

before(() => {
  work = tempDir(undefined, 'tug-serve-tls-');
  openssl('req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', join(work, 'ca.key'), '-out', join(work, 'ca.crt'), '-subj', '/CN=Tugboat Test CA', '-days', '2');
  caCert = readFileSync(join(work, 'ca.crt'));
});

after(async () => {
  for (const s of servers) await s.stop('SIGKILL');
});

interface Serve extends ServeProcess {
  /** JSON log lines so far (stdout). */
  logs(): string;
}

/** Starts `tug serve` over TLS; it is listening (and serving this pair) when this resolves. */
async function startServe(certFile: string, keyFile: string): Promise<Serve> {
  const data = mkdtempSync(join(work, 'data-'));
  const s = await spawnServe(['--data', data, '--tls-cert-file', certFile, '--tls-key-file', keyFile], { env: { TUG_SECRET_KEY: '' } });
  servers.add(s);
  void s.exited.then(() => servers.delete(s));
  return { ...s, logs: s.stdout };
}

async function stop(s: Serve): Promise<void> {
  assert.equal(await s.stop('SIGTERM'), 0, s.stderr());
}

/** Connects trusting only the test CA; the certificate the server presents. */
function peer(port: number): Promise<{ authorized: boolean; fingerprint256: string }> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: '127.0.0.1', port, ca: caCert }, () => {
      const fingerprint256 = socket.getPeerCertificate().fingerprint256;
      socket.end();
      resolve({ authorized: socket.authorized, fingerprint256 });
    });
    socket.setTimeout(5000, () => socket.destroy(new Error('TLS handshake timed out')));
    socket.on('error', reject);
  });
}

function servedBy(port: number, cert: Leaf): Promise<boolean> {
  return peer(port).then((p) => p.fingerprint256 === cert.fingerprint256);
}

function httpsStatus(port: number, path: string): Promise<number | undefined> {
  return new Promise((resolve, reject) => {
    get({ host: '127.0.0.1', port, path, ca: caCert }, (res) => {
      res.resume();
      resolve(res.statusCode);
    }).on('error', reject);
  });
}

test('the TLS flags: both or neither, files that load and match; one line and exit 2 otherwise', async () => {
  const a = leaf('a.test');
  const b = leaf('b.test');
  const dir = mkdtempSync(join(work, 'flags-'));
  const file = (name: string, text: string) => {
    writeFileSync(join(dir, name), text);
    return join(dir, name);
  };
  const aCert = file('a.crt', a.cert);
  const aKey = file('a.key', a.key);
  const bKey = file('b.key', b.key);
  const cases = [
    { name: 'only the certificate', args: ['--tls-cert-file', aCert], error: /--tls-cert-file and --tls-key-file go together: --tls-key-file is missing/ },
    { name: 'only the key', args: ['--tls-key-file', aKey], error: /--tls-cert-file and --tls-key-file go together: --tls-cert-file is missing/ },
    { name: 'a key of another certificate', args: ['--tls-cert-file', aCert, '--tls-key-file', bKey], error: /--tls-key-file \S+b\.key is not the key of --tls-cert-file \S+a\.crt/ },
    { name: 'no such file', args: ['--tls-cert-file', join(dir, 'missing.crt'), '--tls-key-file', aKey], error: /--tls-cert-file \S+missing\.crt: no such file/ },
    { name: 'the key given as the certificate', args: ['--tls-cert-file', aKey, '--tls-key-file', aKey], error: /--tls-cert-file \S+a\.key: not a PEM certificate/ },
    { name: 'the certificate given as the key', args: ['--tls-cert-file', aCert, '--tls-key-file', aCert], error: /--tls-key-file \S+a\.crt: not an unencrypted PEM private key/ },
  ];
  for (const c of cases) {
    const r = await runTug(['serve', '--listen', '127.0.0.1:0', '--data', join(dir, 'data'), ...c.args]);
    assert.equal(r.code, 2, `${c.name}: ${r.stderr}`);
    assert.match(r.stderr, c.error, c.name);
    assert.equal(r.stderr.trim().split('\n').length, 1, `${c.name}: one line\n${r.stderr}`);
  }
});

test('serves HTTPS; SIGHUP reloads the files, and a pair that does not load keeps the old certificate', async () => {
  // The flags name symlinks to files in a directory nobody watches, edited in
  // place: only SIGHUP can tell the server.
  const live = join(work, 'hup-live');
  const archive = join(work, 'hup-archive');
  mkdirSync(live);
  mkdirSync(archive);
  const v1 = leaf('v1.test');
  writeFileSync(join(archive, 'cert.pem'), v1.cert);
  writeFileSync(join(archive, 'key.pem'), v1.key);
  symlinkSync(join(archive, 'cert.pem'), join(live, 'cert.pem'));
  symlinkSync(join(archive, 'key.pem'), join(live, 'key.pem'));
  const s = await startServe(join(live, 'cert.pem'), join(live, 'key.pem'));
  assert.match(s.stderr(), new RegExp(`listening on https://127\\.0\\.0\\.1:${s.port} `));
  assert.ok(await servedBy(s.port, v1));
  assert.equal(await httpsStatus(s.port, '/healthz'), 200);

  // A half-finished renewal: a key that is not the certificate's.
  writeFileSync(join(archive, 'key.pem'), leaf('other.test').key);
  s.child.kill('SIGHUP');
  await waitFor('the failed reload to be logged', async () => /TLS reload \(SIGHUP\) failed, still serving the previous certificate \(CN=v1\.test, expires [^)]+\): --tls-key-file \S+ is not the key of --tls-cert-file/.test(s.logs()), 10_000);
  assert.ok(await servedBy(s.port, v1), 'the old certificate is still served');
  assert.equal(s.child.exitCode, null, 'still running');

  const v2 = leaf('v2.test');
  writeFileSync(join(archive, 'cert.pem'), v2.cert);
  writeFileSync(join(archive, 'key.pem'), v2.key);
  s.child.kill('SIGHUP');
  await waitFor('the new certificate after SIGHUP', () => servedBy(s.port, v2), 10_000);
  // The log line travels through the child's stdout pipe: it may land after the handshake.
  await waitFor('the reload to be logged', () => /TLS certificate loaded \(SIGHUP\): CN=v2\.test/.test(s.logs()), 10_000);
  assert.equal(await httpsStatus(s.port, '/healthz'), 200);
  await stop(s);
});

test('file changes: a Kubernetes Secret volume update and a plain mv are served without a signal', async () => {
  // The layout kubelet writes (and cert-manager's renewals go through):
  // tls.crt -> ..data/tls.crt, ..data -> ..<timestamp>/, swapped by rename.
  const dir = join(work, 'secret-volume');
  mkdirSync(dir);
  const generation = (name: string, l: Leaf) => {
    mkdirSync(join(dir, name));
    writeFileSync(join(dir, name, 'tls.crt'), l.cert);
    writeFileSync(join(dir, name, 'tls.key'), l.key);
    symlinkSync(name, join(dir, '..data_tmp'));
    renameSync(join(dir, '..data_tmp'), join(dir, '..data'));
  };
  const v1 = leaf('v1.test');
  generation('..2025_01_01_00_00_00.1', v1);
  symlinkSync('..data/tls.crt', join(dir, 'tls.crt'));
  symlinkSync('..data/tls.key', join(dir, 'tls.key'));
  const s = await startServe(join(dir, 'tls.crt'), join(dir, 'tls.key'));
  assert.ok(await servedBy(s.port, v1));

  const v2 = leaf('v2.test');
  generation('..2025_02_01_00_00_00.2', v2);
  await waitFor('the certificate of the new ..data', () => servedBy(s.port, v2), 15_000);
  await waitFor('the reload to be logged', () => /TLS certificate loaded \(file change\): CN=v2\.test/.test(s.logs()), 10_000);

  // certbot-style: new files written aside, renamed over the old names.
  const v3 = leaf('v3.test');
  writeFileSync(join(dir, '.tls.key.new'), v3.key);
  writeFileSync(join(dir, '.tls.crt.new'), v3.cert);
  renameSync(join(dir, '.tls.key.new'), join(dir, 'tls.key'));
  renameSync(join(dir, '.tls.crt.new'), join(dir, 'tls.crt'));
  await waitFor('the renamed-in certificate', () => servedBy(s.port, v3), 15_000);
  assert.equal(await httpsStatus(s.port, '/readyz'), 200);
  await stop(s);
});
