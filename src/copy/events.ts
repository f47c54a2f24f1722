/**
 * Events the copy engine reports. The engine never prints: the CLI renders
 * these as progress lines or JSON, the server records them in a run's log.
 */
import type { TransportEvent } from '../context/system-context.ts';
import type { ManifestFormat } from '../oci/convert.ts';
import type { Platform } from '../oci/manifest.ts';

/** `rewritten`: the destination held the blob with wrong bytes (found with `verifyExisting`) and it was copied over it. */
export type BlobOutcome = 'copied' | 'skipped' | 'mounted' | 'rewritten';

export type CopyEvent =
  | { type: 'resolved'; image: string; digest: string; mediaType: string; platforms: Platform[] }
  | { type: 'blob-start'; digest: string; size: number; mediaType: string }
  | { type: 'blob-progress'; digest: string; bytes: number; size: number }
  | { type: 'blob-done'; digest: string; size: number; outcome: BlobOutcome; ms: number }
  | { type: 'blob-retry'; digest: string; attempt: number; delayMs: number; reason: string }
  | { type: 'manifest-written'; digest: string; mediaType: string; instance: boolean }
  | { type: 'index-rewritten'; sourceDigest: string; digest: string; kept: number; of: number }
  /** The image was converted (format or layer compression): the destination's name points at `to`, not at the source's `from`. */
  | { type: 'converted'; from: string; to: string; mediaType: string; format: ManifestFormat | undefined }
  /** Something the user should hear once (e.g. a layout other tools cannot read by ref); the CLI prints it. */
  | { type: 'notice'; message: string }
  | { type: 'transport'; side: 'source' | 'destination'; event: TransportEvent };
