/**
 * Tugboat's public library surface. The CLI (src/cli) and the server
 * (src/server) are built on these; anything not exported here is internal.
 */
export { CopyError, ExitCode, RegistryError, TugError, exitCodeFor, type ErrorCode } from './errors/index.ts';
export { type Digest, isDigest, parseDigest, shortDigest } from './reference/digest.ts';
export { Reference, parseReference, parseRepository } from './reference/reference.ts';
export { MediaType, type Descriptor, type ImageIndex, type ImageManifest, type Platform, parseManifest, formatPlatform, parsePlatform, parsePlatformList } from './oci/index.ts';
export { parseImageName, syncTarget, syncTargets, transports } from './transports/index.ts';
export type { SystemContext, TransportEvent } from './context/system-context.ts';
export type { ImageDestination, ImageReference, ImageSource, SyncTarget, Transport } from './transports/types.ts';
export { type CopyOptions, type CopyResult, copyImage } from './copy/copy.ts';
export type { CopyEvent } from './copy/events.ts';
export { BlobCoordinator } from './copy/blob-coordinator.ts';
export { type MultiArchMode, SOURCE_DIGEST_ANNOTATION } from './copy/select.ts';
export { inspectOutput, readConfig, readInstance, readTopLevel, resolveImage } from './inspect/inspect.ts';
export { loadSyncSpec } from './sync/config/index.ts';
export type { SyncSpec, SyncSource, TagFilter, MappingRule } from './sync/spec.ts';
export { discover, enumerate } from './sync/discover.ts';
export { type Plan, type PlanItem, assemblePlan } from './sync/plan.ts';
export { type ItemResult, executePlan } from './sync/execute.ts';
export { estimatePlan } from './sync/estimate.ts';
export { verifyMirror } from './sync/verify.ts';
