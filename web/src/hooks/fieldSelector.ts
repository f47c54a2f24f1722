/**
 * A fieldSelector tested in the browser, as the server tests it
 * (src/store/query.ts: `field=value` / `field!=value`, comma = and, a
 * missing field compares as ""), for changes the console applies to a
 * filtered list before the watch reports them.
 */

function fieldValue(obj: unknown, path: readonly string[]): string {
  let v: unknown = obj;
  for (const key of path) v = v !== null && typeof v === 'object' ? (v as Record<string, unknown>)[key] : undefined;
  return typeof v === 'string' ? v : v === undefined || v === null ? '' : String(v);
}

/** Whether `obj` passes `selector` ('' passes everything). */
export function matchesFieldSelector(obj: unknown, selector: string | undefined): boolean {
  if (!selector) return true;
  return selector.split(',').every((part) => {
    const m = /^([\w.]+)\s*(!=|==|=)\s*(.*)$/.exec(part.trim());
    if (!m) return true;
    const equal = fieldValue(obj, m[1]!.split('.')) === m[3];
    return m[2] === '!=' ? !equal : equal;
  });
}
