/**
 * The `dir:PATH` transport: skopeo's directory layout (containers/image
 * `directory/`). One image per directory, no tags: the reference is the path.
 *
 * Layout (as skopeo 1.9.3 writes it):
 * - `version`: `Directory Transport Version: 1.1\n`
 * - `manifest.json`: the top-level manifest or index, bytes as copied
 * - `HEX`: each blob, named by the hex of its digest (no algorithm prefix)
 * - `HEX.manifest.json`: each instance of an index
 */
import { resolve } from 'node:path';
import type { SystemContext } from '../../context/system-context.ts';
import { TugError } from '../../errors/index.ts';
import { joinTag } from '../../reference/reference.ts';
import type { ImageDestination, ImageReference, ImageSource, SyncTarget, Transport } from '../types.ts';

/** A `dir:PATH` reference; PATH is absolute, and is the whole reference. */
export class DirReference implements ImageReference {
  readonly transport: Transport = dirTransport;
  readonly path: string;

  constructor(path: string) {
    this.path = path;
  }

  get reference(): string {
    return this.path;
  }

  toString(): string {
    return `dir:${this.path}`;
  }
  // Source and destination load when used (every command imports the transport table: issue 14's start-up).

  newSource(_ctx: SystemContext): Promise<ImageSource> {
    return import('./dir-source.ts').then(({ DirSource }) => DirSource.open(this));
  }

  newDestination(_ctx: SystemContext): Promise<ImageDestination> {
    return import('./dir-destination.ts').then(({ DirDestination }) => DirDestination.open(this));
  }
}

/**
 * `dir:PATH`. As a sync destination, one directory per image under the
 * location, named `NAME:TAG` as skopeo sync names them: NAME is the
 * repository's last component, or its whole path with --scoped.
 */
export const dirTransport = {
  name: 'dir',
  parse(reference: string): DirReference {
    if (reference.length === 0) throw new TugError('USAGE', 'invalid dir: reference: the path is empty', { hint: 'use dir:PATH' });
    return new DirReference(resolve(reference));
  },
  syncScope: 'store',
  syncReference({ location, repository, tag, scoped }): DirReference {
    const name = scoped ? repository : repository.slice(repository.lastIndexOf('/') + 1);
    return dirTransport.parse(`${location}/${joinTag(name, tag)}`);
  },
} satisfies Transport & SyncTarget;
