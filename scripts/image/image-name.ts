/**
 * The name `npm run image` gives the image, and the one the deploy/
 * manifests reference (test/deploy/manifests.test.ts holds them together):
 * `tugboat/tug:<package.json version>`.
 */
import { readFileSync } from 'node:fs';

export const IMAGE_REPOSITORY = 'tugboat/tug';

/** package.json's version: the image tag and the org.opencontainers.image.version label. */
export function projectVersion(): string {
  const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version?: unknown };
  if (typeof pkg.version !== 'string' || !/^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/.test(pkg.version)) throw new Error('package.json has no version usable as an image tag');
  return pkg.version;
}

/** `tugboat/tug:0.1.0`. */
export function imageName(version = projectVersion()): string {
  return `${IMAGE_REPOSITORY}:${version}`;
}
