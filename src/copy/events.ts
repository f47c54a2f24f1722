/**
 * Events the copy engine reports. The engine never prints: the CLI renders
 * these as progress lines or JSON, the server records them in a run's log.
 */
import type { TransportEvent } from '../context/system-context.ts';
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
  | { type: 'transport'; side: 'source' | 'destination'; event: TransportEvent };
