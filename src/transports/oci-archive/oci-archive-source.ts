/**
 * Reads an image from an oci-archive: the tar is extracted safely into a
 * private temp dir, which is then read with the oci-layout source and
 * removed in close().
 */
import type { SystemContext } from '../../context/system-context.ts';
import { TugError } from '../../errors/index.ts';
import { statWithin } from '../../fs/within.ts';
import { OciLayoutSource } from '../oci-layout/oci-layout-source.ts';
import type { ImageSource } from '../types.ts';
import { extractOciArchive } from './oci-archive-extract.ts';
import type { OciArchiveReference } from './oci-archive-transport.ts';
import { scratchDir } from './scratch-dir.ts';

export const OciArchiveSource = {
  /**
   * Extracts `reference.path` under `ctx.tmpDir ?? os.tmpdir()` and opens the
   * image `reference.ref` names. NOT_FOUND for a missing archive, USAGE for a
   * directory or a tar that is not an OCI layout, UNSAFE_INPUT for hostile
   * entries; the temp dir is removed on every failure and in close().
   */
  async open(reference: OciArchiveReference, ctx: SystemContext): Promise<ImageSource> {
    const st = await statWithin(reference.path, reference.path);
    if (!st) throw new TugError('NOT_FOUND', `OCI archive ${reference.path} does not exist`, { hint: 'check the path (oci-archive:PATH[:REF])' });
    if (!st.isFile()) throw new TugError('USAGE', `${reference.path} is not a file`, { hint: 'for a layout directory use oci:PATH' });
    const scratch = await scratchDir(ctx);
    try {
      await extractOciArchive(reference.path, scratch.dir);
    } catch (err) {
      await scratch.remove();
      throw err;
    }
    return OciLayoutSource.open(scratch.dir, reference, scratch.remove);
  },
};
