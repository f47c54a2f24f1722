/**
 * The normalised description of a sync job. Every input format (skopeo's
 * sync YAML, image-syncer's config, plain image lists, Tugboat's own sync
 * file) is read into a {@link SyncSpec}; discovery and the planner only ever
 * see this shape.
 */
import type { Credentials } from '../context/system-context.ts';
import type { SyncFormat } from './config/readers.ts';

/** Where a value came from, for errors that point at `file:line`. */
export interface Origin {
  file: string;
  line: number;
}

/** Per-registry access settings (skopeo's `tls-verify`, `cert-dir`, `credentials`). */
export interface RegistryAccess {
  credentials?: Credentials | undefined;
  tlsVerify?: boolean | undefined;
  certDir?: string | undefined;
  plainHttp?: boolean | undefined;
  /** `SystemContext.proxy`: a proxy URL or `none` (Tugboat file `proxy`); undefined: the environment. */
  proxy?: string | undefined;
}

/**
 * Which tags of a repository to take. Filters combine: the candidate set is
 * `tags` when given, else every tag of the repository; then `regex`, `semver`
 * and `exclude` narrow it; then `newest` keeps the N newest.
 */
export interface TagFilter {
  /** Explicit tags (or digests `sha256:...`). Not listed at the source: taken as given. */
  tags?: string[] | undefined;
  /** Keep tags matching this regular expression (skopeo's images-by-tag-regex). Anchored by the user, as skopeo does not anchor. */
  regex?: string | undefined;
  /** Keep tags that are semver versions in this range (skopeo's images-by-semver, `node-semver` syntax; a leading `v` is allowed). */
  semver?: string | undefined;
  /** Drop tags matching any of these regular expressions. */
  exclude?: string[] | undefined;
  /** Keep only the N newest of what is left, by semver precedence or by the image's creation time. */
  newest?: { count: number; by: 'semver' | 'created' } | undefined;
}

export interface SyncSource {
  /**
   * Fully qualified source repository, e.g. `docker.io/openyurt/yurthub`; for
   * an {@link image} source, the image directory's path below the source
   * directory without its tag (`registry.example.com/library/busybox`).
   */
  repository: string;
  /**
   * Set when the source is one local image instead of a registry repository
   * (`tug sync --src dir`): its image name with transport,
   * `dir:mirror/busybox:latest`. `filter.tags` then holds its one tag (or
   * digest), and `repository` stands in for the registry repository when the
   * destination name is formed (skopeo's rule: its last component, or all of
   * it with --scoped).
   */
  image?: string | undefined;
  filter: TagFilter;
  /**
   * Explicit destination repository (image-syncer maps, Tugboat `to:`), fully
   * qualified without tag. When absent the destination comes from the
   * mapping rules, else from the global destination prefix.
   */
  destination?: string | undefined;
  /** Extra tags to write at the destination: alias -> source tag (`latest: v1.6.0`). */
  aliases?: Record<string, string> | undefined;
  /** Platforms to copy (`linux/amd64`...); undefined = the job's default. */
  platforms?: string[] | undefined;
  /** The `##section` header above this image in a plain image list (kubesphere's `##k8s-images`). */
  section?: string | undefined;
  origin: Origin;
}

/** `from` and `to` are repository prefixes; a trailing `/*` matches any remainder, which is appended to `to`. */
export interface MappingRule {
  from: string;
  to: string;
  origin: Origin;
}

export interface SyncSpec {
  /** The file(s) this spec was read from. */
  files: string[];
  /** Which reader produced it. */
  format: SyncFormat | 'dir';
  sources: SyncSource[];
  mappings: MappingRule[];
  /**
   * Access settings by registry host (`docker.io`, `registry.example.com:5000`).
   * A key may carry a namespace (`quay.io/coreos`, from image-syncer auth
   * files); as in containers-auth.json(5), the most specific key wins.
   */
  registries: Record<string, RegistryAccess>;
  /** Default destination prefix (`registry.example.com/edge`), when the file names one. */
  destination?: string | undefined;
  /** Default platforms for every source: undefined = the command line decides; `['all']` = every platform. */
  platforms?: string[] | undefined;
}
