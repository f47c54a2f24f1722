/**
 * Every flag of skopeo (1.9 to today) for the commands tug shares with it,
 * in one table: what tug does with each. A script written for skopeo runs
 * with `tug` in its place when every flag it uses is `implemented` (or
 * `differs`, explained in `note`); a `refused` flag stops the command with
 * one line saying why and what to do instead, never silently ignored.
 * `elsewhere` rows are declared by the part of tug that implements them (its
 * flag group in its own file), listed here so this table stays the whole
 * picture and test/cli/skopeo-flags.test.ts checks each row against the
 * program. docs/skopeo.md is written from this table.
 */
import { type CommandUnknownOpts, Option } from '@commander-js/extra-typings';
import { TugError } from '../errors/index.ts';

/** The skopeo commands tug answers to, and `global` for the program's flags. */
export const SKOPEO_COMMANDS = ['global', 'copy', 'sync', 'inspect', 'list-tags', 'delete', 'login', 'logout', 'manifest-digest'] as const;
export type SkopeoCommand = (typeof SKOPEO_COMMANDS)[number];

export type FlagStatus = 'implemented' | 'differs' | 'refused' | 'elsewhere';

export interface SkopeoFlag {
  command: SkopeoCommand;
  /** The long flag as skopeo spells it, e.g. `--src-creds`. */
  flag: string;
  /** The short flag, e.g. `-a`. */
  short?: string;
  status: FlagStatus;
  /**
   * A sample value when the flag takes one (tests parse it); absent for a
   * boolean flag, which takes `--x`, `--x=true` and `--x=false` as skopeo's do.
   */
  value?: string;
  /** differs: how; refused: why, then what to do instead; elsewhere: which part of tug owns it. */
  note?: string;
}

const sideFlags = (command: SkopeoCommand, prefix: '' | 'src-' | 'dest-'): SkopeoFlag[] => [
  { command, flag: `--${prefix}authfile`, status: 'implemented', value: '/tmp/auth.json' },
  { command, flag: `--${prefix}creds`, status: 'differs', value: 'user:secret', note: 'USERNAME:PASSWORD; tug does not prompt for a missing password' },
  { command, flag: `--${prefix}username`, status: 'implemented', value: 'user' },
  { command, flag: `--${prefix}password`, status: 'implemented', value: 'secret' },
  { command, flag: `--${prefix}no-creds`, status: 'implemented' },
  { command, flag: `--${prefix}registry-token`, status: 'implemented', value: 'token' },
  { command, flag: `--${prefix}cert-dir`, status: 'implemented', value: '/tmp/certs' },
  { command, flag: `--${prefix}tls-verify`, status: 'implemented' },
];

const sharedBlobDir = (command: SkopeoCommand, prefix: '' | 'src-' | 'dest-'): SkopeoFlag => ({
  command,
  flag: `--${prefix}shared-blob-dir`,
  status: 'refused',
  value: '/tmp/blobs',
  note: "tug's oci: layouts keep their own blobs | copy into one oci: layout with several refs (oci:DIR:REF), or use registry-dir:",
});

const daemonHost = (command: SkopeoCommand, prefix: '' | 'src-' | 'dest-'): SkopeoFlag => ({
  command,
  flag: `--${prefix}daemon-host`,
  status: 'elsewhere',
  value: 'unix:///var/run/docker.sock',
  note: 'docker-daemon: transport',
});

const retry = (command: SkopeoCommand): SkopeoFlag[] => [
  { command, flag: '--retry-times', status: 'implemented', value: '3' },
  { command, flag: '--retry-delay', status: 'differs', value: '2s', note: 'the longest wait between retries; tug backs off with jitter below it rather than waiting a fixed time' },
];

const signing = (command: SkopeoCommand): SkopeoFlag[] =>
  [
    { flag: '--remove-signatures' },
    { flag: '--sign-by', value: 'FINGERPRINT' },
    { flag: '--sign-by-sq-fingerprint', value: 'FINGERPRINT' },
    { flag: '--sign-by-sigstore', value: '/tmp/params.yaml' },
    { flag: '--sign-by-sigstore-private-key', value: '/tmp/cosign.key' },
    { flag: '--sign-passphrase-file', value: '/tmp/pass' },
  ].map((f) => ({ command, status: 'elsewhere', note: 'signatures', ...f }) satisfies SkopeoFlag);

const formats = (command: SkopeoCommand): SkopeoFlag[] => [
  { command, flag: '--format', short: '-f', status: 'elsewhere', value: 'oci', note: 'format conversion' },
  { command, flag: '--preserve-digests', status: 'elsewhere', note: 'format conversion' },
  ...['compress', 'decompress', 'oci-accept-uncompressed-layers', 'precompute-digests', 'force-compress-format'].map(
    (f) => ({ command, flag: `--dest-${f}`, status: 'elsewhere', note: 'format conversion' }) satisfies SkopeoFlag,
  ),
  { command, flag: '--dest-compress-format', status: 'elsewhere', value: 'zstd', note: 'format conversion' },
  { command, flag: '--dest-compress-level', status: 'elsewhere', value: '3', note: 'format conversion' },
];

/** Flags skopeo does not have, listed so the table is the whole picture of copy and sync. */
const tugOnly = (command: SkopeoCommand): SkopeoFlag[] => [
  { command, flag: '--referrers', status: 'elsewhere', value: 'application/spdx+json', note: 'referrers (tug only)' },
  { command, flag: '--no-referrers', status: 'elsewhere', note: 'referrers (tug only)' },
  { command, flag: '--require-signed', status: 'elsewhere', note: 'signatures (tug only)' },
  { command, flag: '--key', status: 'elsewhere', value: '/tmp/cosign.pub', note: 'signatures (tug only)' },
];

const encryption = 'tug does not encrypt or decrypt layers (ocicrypt) | copy with skopeo for encrypted images';

/** The table. Order: skopeo's help order per command. */
export const SKOPEO_FLAGS: readonly SkopeoFlag[] = [
  { command: 'global', flag: '--command-timeout', status: 'implemented', value: '10m', note: 'a Go duration; a bare number is seconds' },
  { command: 'global', flag: '--debug', status: 'differs', note: 'prints every HTTP exchange (credentials redacted) and error stack traces, not containers/image debug logs' },
  { command: 'global', flag: '--insecure-policy', status: 'elsewhere', note: 'signatures (declared in src/cli/options.ts)' },
  { command: 'global', flag: '--override-arch', status: 'implemented', value: 'arm64' },
  { command: 'global', flag: '--override-os', status: 'implemented', value: 'linux' },
  { command: 'global', flag: '--override-variant', status: 'implemented', value: 'v8' },
  { command: 'global', flag: '--policy', status: 'elsewhere', value: '/tmp/policy.json', note: 'signatures (declared in src/cli/options.ts)' },
  {
    command: 'global',
    flag: '--registries.d',
    status: 'differs',
    value: '/tmp/registries.d',
    note: 'tug reads cosign attachments from the registry whatever the files say, and refuses a directory that names a lookaside signature store',
  },
  { command: 'global', flag: '--registries-conf', status: 'elsewhere', value: '/tmp/registries.conf', note: 'registries.conf (declared in src/cli/options.ts)' },
  { command: 'global', flag: '--tmpdir', status: 'implemented', value: '/tmp' },
  { command: 'global', flag: '--user-agent-prefix', status: 'implemented', value: 'ci-job' },
  { command: 'global', flag: '--tls-details', status: 'refused', value: '/tmp/tls.yaml', note: "tug uses Node's TLS settings (TLS 1.2 and later) | drop the flag; give CAs with --cert-dir" },
  { command: 'global', flag: '--version', short: '-v', status: 'implemented' },

  { command: 'copy', flag: '--additional-tag', status: 'implemented', value: 'extra:tag', note: 'docker-archive: and docker-daemon: destinations; refused for others' },
  { command: 'copy', flag: '--all', short: '-a', status: 'implemented' },
  { command: 'copy', flag: '--authfile', status: 'implemented', value: '/tmp/auth.json' },
  ...sideFlags('copy', 'src-'),
  sharedBlobDir('copy', 'src-'),
  daemonHost('copy', 'src-'),
  ...sideFlags('copy', 'dest-'),
  sharedBlobDir('copy', 'dest-'),
  daemonHost('copy', 'dest-'),
  { command: 'copy', flag: '--decryption-key', status: 'refused', value: 'key.pem', note: encryption },
  { command: 'copy', flag: '--encryption-key', status: 'refused', value: 'jwe:key.pem', note: encryption },
  { command: 'copy', flag: '--encrypt-layer', status: 'refused', value: '0', note: encryption },
  { command: 'copy', flag: '--digestfile', status: 'implemented', value: '/tmp/digest' },
  { command: 'copy', flag: '--image-parallel-copies', status: 'implemented', value: '4', note: 'same as --concurrency' },
  { command: 'copy', flag: '--multi-arch', status: 'implemented', value: 'all' },
  { command: 'copy', flag: '--quiet', short: '-q', status: 'implemented' },
  { command: 'copy', flag: '--sign-identity', status: 'elsewhere', value: 'registry.example.com/app:1', note: 'signatures' },
  ...formats('copy'),
  ...signing('copy'),
  ...retry('copy'),
  ...tugOnly('copy'),

  { command: 'sync', flag: '--all', short: '-a', status: 'implemented' },
  { command: 'sync', flag: '--authfile', status: 'implemented', value: '/tmp/auth.json' },
  { command: 'sync', flag: '--src', short: '-s', status: 'differs', value: 'yaml', note: 'docker, dir, yaml, and the sync file formats tug reads' },
  { command: 'sync', flag: '--dest', short: '-d', status: 'differs', value: 'dir', note: 'docker, dir, and the other local stores tug writes' },
  ...sideFlags('sync', 'src-'),
  ...sideFlags('sync', 'dest-'),
  { command: 'sync', flag: '--dry-run', status: 'implemented' },
  { command: 'sync', flag: '--keep-going', status: 'implemented' },
  { command: 'sync', flag: '--scoped', status: 'implemented' },
  { command: 'sync', flag: '--append-suffix', status: 'implemented', value: '-mirror', note: 'not to digests, nor to a Tugboat sync file\'s aliases' },
  { command: 'sync', flag: '--digestfile', status: 'implemented', value: '/tmp/digests', note: 'one "DIGEST REFERENCE" line per image' },
  ...formats('sync').filter((f) => !f.flag.startsWith('--dest-')),
  ...signing('sync'),
  ...retry('sync'),
  ...tugOnly('sync'),

  ...sideFlags('inspect', ''),
  sharedBlobDir('inspect', ''),
  daemonHost('inspect', ''),
  { command: 'inspect', flag: '--config', status: 'implemented' },
  { command: 'inspect', flag: '--raw', status: 'implemented' },
  { command: 'inspect', flag: '--format', short: '-f', status: 'differs', value: '{{.Digest}}', note: 'Go template fields {{.Name}} {{.Digest}} ... and {{json .}}; no pipelines or functions' },
  { command: 'inspect', flag: '--no-tags', short: '-n', status: 'implemented' },
  { command: 'inspect', flag: '--manifest-digest', status: 'implemented', value: 'sha512' },
  ...retry('inspect'),

  ...sideFlags('list-tags', ''),
  ...retry('list-tags'),

  ...sideFlags('delete', ''),
  sharedBlobDir('delete', ''),
  {
    command: 'delete',
    flag: '--daemon-host',
    status: 'refused',
    value: 'unix:///var/run/docker.sock',
    note: 'tug delete removes images from registries and local layouts, not from a Docker daemon (skopeo cannot either) | docker rmi NAME',
  },
  ...retry('delete'),

  { command: 'login', flag: '--authfile', status: 'implemented', value: '/tmp/auth.json' },
  { command: 'login', flag: '--compat-auth-file', status: 'implemented', value: '/tmp/config.json', note: 'the same "auths" format; conflicts with --authfile' },
  { command: 'login', flag: '--cert-dir', status: 'implemented', value: '/tmp/certs' },
  { command: 'login', flag: '--get-login', status: 'implemented' },
  { command: 'login', flag: '--password', short: '-p', status: 'implemented', value: 'secret' },
  { command: 'login', flag: '--password-stdin', status: 'implemented' },
  { command: 'login', flag: '--username', short: '-u', status: 'implemented', value: 'user' },
  { command: 'login', flag: '--verbose', short: '-v', status: 'implemented', note: 'also names the auth file on success' },
  { command: 'login', flag: '--tls-verify', status: 'implemented' },

  { command: 'logout', flag: '--all', short: '-a', status: 'implemented', note: 'exits 0 with nothing stored, as skopeo' },
  { command: 'logout', flag: '--authfile', status: 'implemented', value: '/tmp/auth.json' },
  { command: 'logout', flag: '--compat-auth-file', status: 'implemented', value: '/tmp/config.json' },
  { command: 'logout', flag: '--tls-verify', status: 'implemented', note: 'accepted; logout makes no connection' },
];

/** The attribute commander stores a refused flag under (a prefix keeps it clear of real options). */
const refusedKey = (flag: string) => `refused${flag.replace(/^--/, '').replace(/[^a-z0-9]+([a-z0-9])/gi, (_, c: string) => c.toUpperCase())}`;

/**
 * Declares the refused skopeo flags of `command` on `cmd` (hidden from help)
 * and refuses them before the action runs: one line naming the flag, why,
 * and what to do instead (exit 2). Accepting them silently would let a
 * script believe it encrypted, shared or renamed something.
 */
export function addRefusedFlags<C extends CommandUnknownOpts>(cmd: C, command: SkopeoCommand): C {
  const refused = SKOPEO_FLAGS.filter((f) => f.command === command && f.status === 'refused');
  for (const f of refused) {
    const option = new Option(f.value !== undefined ? `${f.flag} <value>` : f.flag).hideHelp();
    option.attributeName = () => refusedKey(f.flag);
    cmd.addOption(option);
  }
  cmd.hook('preAction', (_self, action) => {
    for (const f of refused) {
      if (cmd.getOptionValue(refusedKey(f.flag)) === undefined) continue;
      const [why, instead] = (f.note ?? '').split(' | ');
      throw new TugError('USAGE', `${f.flag} is not supported: ${why}`, instead ? { hint: instead } : {});
    }
    void action;
  });
  return cmd;
}
