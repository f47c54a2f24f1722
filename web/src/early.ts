/**
 * The first screen's API requests, started by main.ts before the app's
 * chunks load (issue 16's cold load: the rows were asked for only after
 * 1.1 MB of JavaScript had run and the page's chunk had arrived).
 * api/early.ts holds the answers; the app's own requests take them. Nothing
 * is sent without a stored token, or for the sign-in page.
 */
import { authHeaders, apiUrl, getToken } from './api/client.ts';
import { startEarly } from './api/early.ts';
import { REGISTRY_LIST_PATH } from './api/registries.ts';
import { LIST_PAGE_SIZE, type RepositoryFilter, repositoryFilterOf, repositoryListPath } from './api/repositories.ts';
import { fieldSelectorOf, readFilters } from './pages/repositories/listFilters.ts';

/** The list's filter as the list page reads it from its URL (`?ns=&q=` and the toolbar's filters). */
const listFilter = (params: URLSearchParams): RepositoryFilter => ({ ...repositoryFilterOf(params), fieldSelector: fieldSelectorOf(readFilters(params)) });

/** What each screen asks for first, by path. Keep in step with the pages: a GET they no longer make is harmless but wasted. */
const FIRST_SCREEN: { path: RegExp; gets: (params: URLSearchParams) => string[] }[] = [
  { path: /^\/(repositories\/?)?$/, gets: (params) => ['namespaces', REGISTRY_LIST_PATH, repositoryListPath(listFilter(params), { limit: LIST_PAGE_SIZE })] },
];

export function startFirstScreenRequests(): void {
  const token = getToken();
  if (!token || location.pathname.startsWith('/login')) return;
  const screen = FIRST_SCREEN.find((s) => s.path.test(location.pathname));
  // Every signed-in screen reads the token's role (what it may change) first.
  const gets = ['whoami', ...(screen?.gets(new URLSearchParams(location.search)) ?? [])];
  startEarly(gets.map(apiUrl), { Accept: 'application/json', ...authHeaders(token) });
}
