/**
 * What a caller hands down to the registry client and the transports, per
 * side of a copy: credentials, TLS, retries, egress, an event sink. The
 * bottom of the tree (it imports nothing), so that credentials/,
 * distribution/ and transports/ can all take it without importing each
 * other; containers/image keeps its `types.SystemContext` in a package of
 * its own for the same reason.
 */

/** Credentials for one registry. Never logged; never passed in argv. */
export interface Credentials {
  username: string;
  password: string;
}

/** Events transports report for the CLI / server to show. Libraries never print. */
export type TransportEvent =
  | { type: 'retry'; what: string; attempt: number; delayMs: number; reason: string }
  | { type: 'resume'; what: string; offset: number }
  | { type: 'notice'; message: string }
  /**
   * One HTTP exchange with a registry (or the Docker daemon), for `--debug`:
   * the URL has its query's credentials redacted and no header values are
   * carried, so the event is safe to print as it is.
   */
  | { type: 'http'; method: string; url: string; status: number | undefined; ms: number; error?: string | undefined };

/**
 * Everything a transport may need from the caller, per side of a copy
 * (containers/image calls this SystemContext). All fields optional.
 */
export interface SystemContext {
  /** `--creds user:pass`: overrides any auth file. */
  credentials?: Credentials | undefined;
  /** `--registry-token`: a bearer token used as is. */
  registryToken?: string | undefined;
  /** `--authfile`; else REGISTRY_AUTH_FILE, else the files of credentials/locations.ts (skopeo's: $XDG_RUNTIME_DIR or /run/containers/$UID, ~/.config, ~/.docker). */
  authFile?: string | undefined;
  /**
   * Consult no auth file and no credential helper: the registry is reached
   * with `credentials` / `registryToken` or anonymously (default false).
   * `tug serve` sets it, so a Registry authenticates only with what it
   * stores, never with the server user's ~/.docker/config.json.
   */
  noAuthFile?: boolean | undefined;
  /**
   * containers-registries.conf(5) for `docker://` names (mirrors, prefix
   * remapping, `blocked`, `insecure`): undefined reads the machine's files
   * as skopeo does (CONTAINERS_REGISTRIES_CONF, else
   * ~/.config/containers/registries.conf, else /etc/containers/registries.conf,
   * plus the registries.conf.d drop-ins); a path (`--registries-conf`) reads
   * that file instead of the main one; `'none'` reads nothing. `tug serve`
   * sets `'none'`: a Registry is reached only as it is configured.
   */
  registriesConf?: string | undefined;
  /** Verify TLS certificates (default true). */
  tlsVerify?: boolean | undefined;
  /** Directory with ca.crt / *.crt, client.cert, client.key (containers-certs.d(5)). */
  certDir?: string | undefined;
  /** Extra trusted CA certificates (PEM), added to the defaults and any certDir CAs (a server-side Registry's caBundle). */
  caCertificates?: string | undefined;
  /** Talk plain HTTP to the registry. Never chosen silently; see the docker transport. */
  plainHttp?: boolean | undefined;
  /** Retries on transient errors (default 5 attempts). */
  retryMaxAttempts?: number | undefined;
  /** Cap on a single backoff / Retry-After wait in ms (default 30 s). */
  retryMaxDelayMs?: number | undefined;
  /** Scratch space for transports that need it (archives); default os.tmpdir(). */
  tmpDir?: string | undefined;
  /** User-Agent header. */
  userAgent?: string | undefined;
  onEvent?: ((e: TransportEvent) => void) | undefined;
  /**
   * The HTTP(S) proxy for registry connections. `undefined`: read
   * HTTP_PROXY / HTTPS_PROXY / NO_PROXY (and lower case) from the
   * environment as Go's `http.ProxyFromEnvironment` does; `'none'`: connect
   * directly whatever the environment says; a URL (`http://host:3128`):
   * use it for every request of this context (a sync file's or a Registry
   * resource's `proxy`). Credentials in the URL are never logged.
   */
  proxy?: string | undefined;
  /**
   * The Docker Engine API endpoint for `docker-daemon:` (skopeo's
   * `--src-daemon-host` / `--dest-daemon-host`): `unix:///path/docker.sock`,
   * `tcp://host:port` or `http(s)://host:port`. Default: DOCKER_HOST, else
   * `unix:///var/run/docker.sock`.
   */
  daemonHost?: string | undefined;
  /**
   * skopeo's `--additional-tag`: more NAME:TAG names a docker-archive: or
   * docker-daemon: destination tags the image with, beside its own (RepoTags
   * in manifest.json). Other destinations refuse it.
   */
  additionalTags?: readonly string[] | undefined;
  /**
   * Where the registry client may connect (token realms and redirect targets
   * included), checked on the resolved address of every new connection.
   * `tug serve` sets one (distribution/egress.ts); undefined: anywhere.
   */
  egress?: EgressPolicy | undefined;
}

/**
 * An egress policy as the registry client consults it; built by
 * `createEgressPolicy` (distribution/egress.ts).
 */
export interface EgressPolicy {
  /**
   * Why a connection to `host` (the name connected to, or an IP literal) at
   * `address` (a resolved IP; undefined to judge the name alone, before DNS)
   * is refused, as one line for a person; undefined when it is allowed.
   */
  refusal(host: string, address: string | undefined): string | undefined;
}
