/**
 * `docker-daemon:NAME:TAG`, `docker-daemon:NAME@DIGEST` or
 * `docker-daemon:sha256:ID`: an image in a Docker Engine's store, reached
 * through its API (engine-client.ts) at `ctx.daemonHost`, else DOCKER_HOST,
 * else unix:///var/run/docker.sock (`http://` is plain HTTP; `tcp://` and
 * `https://` are TLS, as in skopeo). Names are normalised as docker does
 * (`alpine:3` is docker.io/library/alpine:3), and, as in skopeo
 * (containers-transports(5)), a name needs a tag or a digest (no implied
 * `latest`), never both; an image ID (sha256:64 hex) reads an image by its
 * config digest. A destination must be NAME:TAG.
 *
 * The bytes are those of `docker save` / `docker load`, read and written by
 * the docker-archive code, so what survives a round trip is the same: the
 * config, hence the image ID; layers travel uncompressed.
 */
import type { SystemContext } from '../../context/system-context.ts';
import { TugError } from '../../errors/index.ts';
import { type Digest, isDigest } from '../../reference/digest.ts';
import { type Reference, parseReference } from '../../reference/reference.ts';
import type { ImageDestination, ImageReference, ImageSource, Transport } from '../types.ts';

function usage(input: string, problem: string, hint: string): TugError {
  return new TugError('USAGE', `invalid docker-daemon reference "${input}": ${problem}`, { hint });
}

/** A parsed `docker-daemon:` name: a tagged or digested reference, or an image ID. */
export class DockerDaemonReference implements ImageReference {
  readonly transport: Transport = dockerDaemonTransport;
  /** The image name with its tag or digest; undefined for an image ID. */
  readonly ref: Reference | undefined;
  /** The image ID (config digest); undefined for a name. */
  readonly id: Digest | undefined;

  constructor(image: { ref: Reference } | { id: Digest }) {
    this.ref = 'ref' in image ? image.ref : undefined;
    this.id = 'id' in image ? image.id : undefined;
  }

  /** The name fully qualified (`docker.io/library/alpine:3`) or the ID, as skopeo prints it; also what the daemon is asked for. */
  get reference(): string {
    return this.ref ? this.ref.toString() : this.id!;
  }

  toString(): string {
    return `docker-daemon:${this.reference}`;
  }

  /** Streams `docker save` of the image to a temp file under `ctx.tmpDir` and reads it as a docker archive (removed by `close`). */
  async newSource(ctx: SystemContext): Promise<ImageSource> {
    // Loaded when used: the Engine client (node:http, https, tls) is no cost of every command's start.
    const { DockerDaemonSource } = await import('./docker-daemon-source.ts');
    return DockerDaemonSource.open(this, ctx);
  }

  /** A destination that `docker load`s the image, tagged NAME:TAG, on `commit`. An ID or a digest is refused: it names no tag to write. */
  newDestination(ctx: SystemContext): Promise<ImageDestination> {
    if (!this.ref?.tag) {
      return Promise.reject(usage(this.reference, 'a destination must be NAME:TAG', 'name the tag the loaded image gets, e.g. docker-daemon:example/app:1'));
    }
    return import('./docker-daemon-destination.ts').then(({ DockerDaemonDestination }) => DockerDaemonDestination.create(this, ctx));
  }
}

/** The `docker-daemon` transport. `parse` takes the text after `docker-daemon:`. */
export const dockerDaemonTransport: Transport = {
  name: 'docker-daemon',
  parse(input: string): DockerDaemonReference {
    if (input === '') throw usage(input, 'missing the image name', 'write docker-daemon:NAME:TAG, docker-daemon:NAME@DIGEST or docker-daemon:sha256:ID');
    // An ID is a digest and nothing else (containers/image daemon_transport: digest.Parse first).
    if (/^sha(256|512):/.test(input)) {
      if (!isDigest(input)) throw usage(input, 'not an image ID', 'an image ID is sha256: and 64 lower-case hex digits (docker image inspect --format {{.Id}})');
      return new DockerDaemonReference({ id: input });
    }
    let ref: Reference;
    try {
      ref = parseReference(input, { defaultTag: false });
    } catch (err) {
      throw usage(input, (err as Error).message, 'write docker-daemon:NAME:TAG or docker-daemon:NAME@DIGEST');
    }
    if (!ref.tag && !ref.digest) throw usage(input, 'it has neither a tag nor a digest', `write docker-daemon:${input}:latest for the latest tag`);
    if (ref.tag && ref.digest) throw usage(input, 'it has both a tag and a digest', 'use NAME:TAG or NAME@DIGEST, as the Docker daemon takes one of them');
    return new DockerDaemonReference({ ref });
  },
};
