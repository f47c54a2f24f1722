/**
 * The signature flags of copy and sync: `--require-signed` and `--key`
 * (verify cosign key-pair signatures; src/signature/), and skopeo's signing
 * flags, which tug refuses with one line: it verifies, it does not sign.
 * With the global `--policy` / `--insecure-policy`, {@link imagePolicyFrom}
 * builds the ImagePolicy the copy engine checks before it writes.
 */
import { type Command, Option, type OptionValues } from '@commander-js/extra-typings';
import { TugError } from '../errors/index.ts';
import { type ImagePolicy, loadImagePolicy } from '../signature/image-policy.ts';

/** skopeo's signing flags (copy and sync; `--sign-identity` is copy's only): accepted by the parser, refused when used. */
const SIGNING_FLAGS = [
  { flag: '--sign-by', value: '<fingerprint>' },
  { flag: '--sign-by-sq-fingerprint', value: '<fingerprint>' },
  { flag: '--sign-by-sigstore', value: '<param-file>' },
  { flag: '--sign-by-sigstore-private-key', value: '<path>' },
  { flag: '--sign-passphrase-file', value: '<path>' },
  { flag: '--sign-identity', value: '<reference>', copyOnly: true },
] as const;

function collect(value: string, previous: string[] | undefined): string[] {
  return [...(previous ?? []), value];
}

/** Adds --require-signed, --key (repeatable) and the refused signing flags to copy or sync. */
export function addSignatureFlags<A extends unknown[], O extends OptionValues, G extends OptionValues>(cmd: Command<A, O, G>, command: 'copy' | 'sync') {
  for (const f of SIGNING_FLAGS) {
    if ('copyOnly' in f && command !== 'copy') continue;
    const option = new Option(`${f.flag} ${f.value}`).hideHelp();
    option.attributeName = () => `refusedSigning${f.flag}`;
    cmd.addOption(option);
  }
  cmd.hook('preAction', () => {
    for (const f of SIGNING_FLAGS) {
      if (cmd.getOptionValue(`refusedSigning${f.flag}`) === undefined) continue;
      throw new TugError('USAGE', `${f.flag} is not supported: tug verifies signatures but does not sign images`, {
        hint: 'copy first, then sign the copy with cosign sign --key (or skopeo copy with this flag)',
      });
    }
  });
  return cmd
    .option('--require-signed', 'refuse (exit 3, nothing written) an image without a cosign signature by one of the --key keys over its top-level digest')
    .addOption(new Option('--key <path>', 'a cosign public key (PEM: ECDSA, RSA or Ed25519) for --require-signed; repeat for several, any one suffices').argParser(collect));
}

/**
 * The policy copy and sync run under (src/signature/image-policy.ts
 * loadImagePolicy): --require-signed with its keys, and the global --policy
 * (else the default containers-policy.json files when they exist) unless
 * --insecure-policy. Undefined when nothing is checked.
 */
export function imagePolicyFrom(opts: { requireSigned?: boolean | undefined; key?: string[] | undefined }, globals: { policy?: string | undefined; insecurePolicy?: boolean | undefined }): Promise<ImagePolicy | undefined> {
  return loadImagePolicy({ requireSigned: opts.requireSigned === true, keyFiles: opts.key, policyPath: globals.policy, insecurePolicy: globals.insecurePolicy === true });
}
