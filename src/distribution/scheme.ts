/**
 * Which host and scheme to talk to for a registry name. Plain HTTP is used
 * only when asked for, never silently: either the caller set `plainHttp`, or
 * the registry is "marked insecure" (a loopback host, Docker's default
 * insecure range, or `tlsVerify=false`, as containers/image treats
 * `insecure` registries) AND its HTTPS ping failed because it speaks plain
 * HTTP. A non-loopback registry with TLS verification on is never tried over
 * http, and neither is a loopback one whose caller said `tlsVerify: true`
 * explicitly (skopeo's `--tls-verify=true`): `undefined` is the default,
 * `true` means TLS.
 */
import { isIP } from 'node:net';
import { DOCKER_HUB } from '../reference/reference.ts';

/** Docker Hub's API host; `docker.io` is only a name. */
export const DOCKER_HUB_API_HOST = 'registry-1.docker.io';

/** The host[:port] to connect to for a reference's registry name. */
export function apiHost(registry: string): string {
  return registry === DOCKER_HUB ? DOCKER_HUB_API_HOST : registry;
}

/** Strips the port and IPv6 brackets: `[::1]:5000` -> `::1`, `localhost:5000` -> `localhost`. */
export function hostnameOf(host: string): string {
  if (host.startsWith('[')) return host.slice(1, host.indexOf(']'));
  const colon = host.lastIndexOf(':');
  return colon >= 0 && host.indexOf(':') === colon ? host.slice(0, colon) : host;
}

/** True for 127.0.0.0/8, ::1 and localhost (with any port). */
export function isLoopbackHost(host: string): boolean {
  const name = hostnameOf(host).toLowerCase();
  if (name === 'localhost' || name.endsWith('.localhost')) return true;
  if (isIP(name) === 4) return name.startsWith('127.');
  if (isIP(name) === 6) return name === '::1' || name === '0:0:0:0:0:0:0:1';
  return false;
}

/**
 * Whether a failed HTTPS ping to `host` may be retried over plain HTTP:
 * when the caller turned verification off, or for a loopback registry
 * unless the caller asked for verification explicitly (`tlsVerify: true`).
 */
export function mayFallBackToHttp(host: string, options: { tlsVerify?: boolean | undefined }): boolean {
  return options.tlsVerify === false || (options.tlsVerify === undefined && isLoopbackHost(host));
}

/** The scheme to try first: http only when `plainHttp` was asked for. */
export function initialScheme(options: { plainHttp?: boolean | undefined }): 'http' | 'https' {
  return options.plainHttp ? 'http' : 'https';
}
