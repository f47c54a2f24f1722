/**
 * The list's toolbar filters (issue 16): one row per filter, one entry per
 * option. Each option is a server-side `fieldSelector` (docs/api.md, "Lists,
 * search, paging"), sent on the list and on its watch, so rows enter and
 * leave as they change; `matches` is the same test in the browser, for the
 * changes this console applies before their event arrives. A new filter is
 * a new row here: the toolbar, the URL and the query derive from the table.
 */
import type { MessageKey } from '../../i18n.tsx';

export interface FilterOption {
  /** What the URL keeps (`?status=Failed`). */
  value: string;
  label: MessageKey;
  /** The server-side fieldSelector parts (comma = and). */
  selector: string;
}

export interface ListFilter {
  /** The URL parameter. */
  param: 'status' | 'health';
  label: MessageKey;
  /** The Select's text while nothing is picked. */
  all: MessageKey;
  options: readonly FilterOption[];
}

const SYNCED_STATES = ['Success', 'Syncing', 'Failed'] as const;

export const LIST_FILTERS: readonly ListFilter[] = [
  {
    param: 'status',
    label: 'list.filter.status',
    all: 'list.filter.statusAll',
    options: [
      ...SYNCED_STATES.map((s) => ({ value: s, label: `status.${s}` as MessageKey, selector: `status.syncStatus=${s}` })),
      // A Repository no sync has reached may have no syncStatus at all (a missing field compares as ""): "none of the others".
      { value: 'Pending', label: 'status.Pending', selector: SYNCED_STATES.map((s) => `status.syncStatus!=${s}`).join(',') },
    ],
  },
  {
    param: 'health',
    label: 'list.filter.health',
    all: 'list.filter.healthAll',
    options: [
      { value: 'Healthy', label: 'list.health.Healthy', selector: 'status.health.state=Healthy' },
      { value: 'Degraded', label: 'list.health.Degraded', selector: 'status.health.state=Degraded' },
      { value: 'Unhealthy', label: 'list.health.Unhealthy', selector: 'status.health.state=Unhealthy' },
      { value: 'Unknown', label: 'list.health.Unknown', selector: 'status.health.state=' },
    ],
  },
];

/** The picked option of each filter, as the URL says (unknown values are ignored). */
export type FilterValues = Partial<Record<ListFilter['param'], string>>;

export function readFilters(params: URLSearchParams): FilterValues {
  const out: FilterValues = {};
  for (const f of LIST_FILTERS) {
    const v = params.get(f.param);
    if (v && f.options.some((o) => o.value === v)) out[f.param] = v;
  }
  return out;
}

/** The fieldSelector for the picked options ('' = none). */
export function fieldSelectorOf(values: FilterValues): string {
  return LIST_FILTERS.flatMap((f) => f.options.filter((o) => o.value === values[f.param]).map((o) => o.selector)).join(',');
}
