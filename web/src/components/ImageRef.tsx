/**
 * An image reference (`host/path:tag`, `…@sha256:…`) that wraps only after a
 * `/`, `:` or `@` when the cell is too narrow (issue 16: "v0 / .18.9" broke
 * inside a tag), in the monospace face.
 */
import { Fragment } from 'react';

export function ImageRef({ value }: { value: string }) {
  const parts = value.split(/(?<=[/:@])/);
  return (
    <span className="mono image-ref" title={value}>
      {parts.map((p, i) => (
        <Fragment key={i}>
          {i > 0 && <wbr />}
          {p}
        </Fragment>
      ))}
    </span>
  );
}
