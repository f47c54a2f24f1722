/** Paging shared by the append-only tables (runs, audit). */
import { decodeContinue, encodeContinue, pageLimit } from '../query.ts';
import type { Page } from '../types.ts';
import { fromJson, toInt } from './driver.ts';
import type { SqlDriver } from './driver.ts';

/** A newest-first page of `table`, keyed on its increasing integer column `seq`; `column` holds the item as JSON. */
export function newestFirst<T>(db: SqlDriver, table: string, seq: string, column: string, filter: string, params: unknown[], options: { limit?: number; continue?: string }): Promise<Page<T>> {
  const limit = pageLimit(options.limit);
  const pageFilter = options.continue ? `${filter} AND ${seq} < $${params.length + 1}` : filter;
  const pageParams = options.continue ? [...params, decodeContinue(options.continue, ['n'])[0]] : params;
  return db.transaction(async (tx) => {
    const count = await tx.query(`SELECT count(*) AS n FROM ${table} WHERE ${filter}`, params);
    const rows = await tx.query(`SELECT ${seq} AS seq, ${column} AS item FROM ${table} WHERE ${pageFilter} ORDER BY ${seq} DESC LIMIT ${limit + 1}`, pageParams);
    const page = rows.slice(0, limit);
    const last = page.at(-1);
    return {
      items: page.map((r) => fromJson<T>(r['item'])),
      totalCount: toInt(count[0]?.['n']),
      continue: rows.length > limit && last ? encodeContinue([toInt(last['seq'])]) : undefined,
      resourceVersion: String(await db.currentVersion(tx)),
    };
  }, { readOnly: true });
}
