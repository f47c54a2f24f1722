/** `tug manifest-digest FILE`: the digest a registry would give this manifest. */
import { readFile } from 'node:fs/promises';
import { Command, Option } from '@commander-js/extra-typings';
import { parseManifest } from '../../oci/manifest.ts';
import { digestBytes } from '../../oci/verify.ts';
import { ioError } from '../../fs/io.ts';

export function manifestDigestCommand() {
  return new Command('manifest-digest')
    .description('Compute the digest of a manifest file')
    .argument('<file>', 'a manifest (JSON) file')
    .addOption(new Option('--algorithm <name>', 'digest algorithm').choices(['sha256', 'sha512']).default('sha256'))
    .action(async (file, opts) => {
      let bytes: Buffer;
      try {
        bytes = await readFile(file);
      } catch (err) {
        throw ioError('reading', file, err);
      }
      // Refuse what is not a manifest: a digest of random JSON is a mistake waiting to be pushed.
      parseManifest(bytes, undefined, file);
      process.stdout.write(`${digestBytes(bytes, opts.algorithm)}\n`);
    });
}
