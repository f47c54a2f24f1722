/**
 * List items' JSON text by resourceVersion (issue 15, "Scale"). A page of a
 * list re-read the same objects and had the database cut each one down
 * (`omit`: json_remove / `#-`), most of a list's cost once its keys came
 * from an index. A page now reads its keys with their resourceVersion and
 * takes the text of every key whose version it holds from here: an entry is
 * valid exactly while its object's version is unchanged (every write gives
 * the object a new one), so nothing is ever invalidated and a stale text is
 * never served, on one replica or several. Bounded, least recently used
 * first out: at 10,000 entries of ~1.2 KB, ~15 MB.
 */

/** One cached text: the object's version it was read at. */
interface Entry {
  version: number;
  text: string;
}

export class ItemCache {
  readonly #max: number;
  /** A Map iterates in insertion order: re-inserting on a hit keeps the least recently used first. */
  readonly #entries = new Map<string, Entry>();

  constructor(max = 10_000) {
    this.#max = max;
  }

  /** The text of `key` at `version`, if held. */
  get(key: string, version: number): string | undefined {
    const e = this.#entries.get(key);
    if (e === undefined || e.version !== version) return undefined;
    this.#entries.delete(key);
    this.#entries.set(key, e);
    return e.text;
  }

  set(key: string, version: number, text: string): void {
    this.#entries.delete(key);
    this.#entries.set(key, { version, text });
    if (this.#entries.size > this.#max) this.#entries.delete(this.#entries.keys().next().value!);
  }

  get size(): number {
    return this.#entries.size;
  }
}
