/** The registry client: the public surface of src/distribution/. */
export { Authenticator, type Challenge, DEFAULT_TOKEN_LIFETIME_MS, TokenCache, parseWwwAuthenticate, repositoryScope, tokenExpiry } from './auth.ts';
export { type BlobOpener, type BlobResponse, ResumableBlobReader, type ResumableBlobOptions } from './blob-reader.ts';
export {
  type CallOptions,
  type ClientTuning,
  type FetchedManifest,
  type ManifestHead,
  type PingResult,
  RegistryClient,
  type UploadOptions,
  parseNextLink,
} from './client.ts';
export { resolveCredentials } from './credentials.ts';
export { DEFAULT_DENY, type EgressOptions, type EgressPolicy, type EgressPolicyWithRules, type EgressRule, createEgressPolicy, effectiveAddress, egressConnector, egressLookup, parseEgressRule } from './egress.ts';
export { errorFromNetwork, errorFromResponse, isPlainHttpSymptom, parseErrorBody, parseRetryAfter } from './errors.ts';
export { checkLogin } from './login.ts';
export { type ClientLease, acquireClient } from './pool.ts';
export { RETRYABLE_STATUSES, type RetryPolicy, backoffDelay, isRetryable, withRetry } from './retry.ts';
export { DOCKER_HUB_API_HOST, apiHost, initialScheme, isLoopbackHost, mayFallBackToHttp } from './scheme.ts';
export { type TlsSettings, defaultCertDirs, loadTlsSettings } from './tls.ts';
