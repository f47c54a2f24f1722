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
import { TugError } from '../../errors/index.ts';
import type { ImageDestination, ImageReference, ImageSource, SystemContext, Transport } from '../types.ts';
import { DirDestination } from './dir-destination.ts';
import { DirSource } from './dir-source.ts';

/** A `dir:PATH` reference; PATH is absolute. */
export class DirReference implements ImageReference {
  readonly path: string;

  constructor(path: string) {
    this.path = path;
  }

  get transport(): Transport {
    return dirTransport;
  }

  get reference(): string {
    return this.path;
  }

  toString(): string {
    return `dir:${this.path}`;
  }

  newSource(_ctx: SystemContext): Promise<ImageSource> {
    return DirSource.open(this);
  }

  newDestination(_ctx: SystemContext): Promise<ImageDestination> {
    return DirDestination.open(this);
  }
}

/** `dir:PATH`. */
export const dirTransport = {
  name: 'dir',
  parse(reference: string): DirReference {
    if (reference.length === 0) throw new TugError('USAGE', 'invalid dir: reference: the path is empty', { hint: 'use dir:PATH' });
    return new DirReference(resolve(reference));
  },
} satisfies Transport;
