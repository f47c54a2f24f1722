/**
 * Every page of the console, once: the router and the side menu are both
 * built from this table. A new page is its module under pages/ and one row
 * here (with `menu` if it has a menu entry).
 */
import { type ComponentType, lazy, type ReactNode, Suspense } from 'react';
import { type MenuProps, Skeleton } from 'antd';
import { CloudServerOutlined, ContainerOutlined } from '@ant-design/icons';
import { DashboardOutlined, DatabaseOutlined, FundOutlined } from '@ant-design/icons';
import type { MessageKey, Translate } from './i18n.tsx';
import { paths } from './paths.ts';

/**
 * A page loaded on first visit (its own chunk, issue 16: the first load
 * fetches only the page it shows), with a skeleton while its chunk arrives.
 */
function page(load: () => Promise<ComponentType>): ReactNode {
  const Page = lazy(async () => ({ default: await load() }));
  return (
    <Suspense fallback={<Skeleton active style={{ padding: 24 }} />}>
      <Page />
    </Suspense>
  );
}

export interface AppRoute {
  path: string;
  element: ReactNode;
  /** Shown without a token, outside the shell (no menu, no top bar). */
  public?: boolean;
  /** The side-menu entry, under the group `group`; its menu key is `path`. */
  menu?: { label: MessageKey; icon: ReactNode; group: string };
}

/** The side menu's groups, in order. */
const MENU_GROUPS: { key: string; label: MessageKey; icon: ReactNode }[] = [
  { key: 'monitoring', label: 'overview.nav.group', icon: <FundOutlined /> },
  { key: 'images', label: 'nav.images', icon: <ContainerOutlined /> },
];

export const routes: AppRoute[] = [
  { path: paths.login, element: page(async () => (await import('./pages/login/LoginPage.tsx')).LoginPage), public: true },
  { path: paths.overview, element: page(async () => (await import('./pages/overview/OverviewPage.tsx')).OverviewPage), menu: { label: 'overview.nav.overview', icon: <DashboardOutlined />, group: 'monitoring' } },
  { path: paths.storage, element: page(async () => (await import('./pages/storage/StoragePage.tsx')).StoragePage), menu: { label: 'overview.nav.storage', icon: <DatabaseOutlined />, group: 'monitoring' } },
  { path: paths.repositories, element: page(async () => (await import('./pages/repositories/RepositoriesPage.tsx')).RepositoriesPage), menu: { label: 'nav.repositories', icon: <ContainerOutlined />, group: 'images' } },
  { path: '/repositories/:namespace/:name', element: page(async () => (await import('./pages/repository-detail/RepositoryDetailPage.tsx')).RepositoryDetailPage) },
  { path: paths.registries, element: page(async () => (await import('./pages/registries/RegistriesPage.tsx')).RegistriesPage), menu: { label: 'nav.registries', icon: <CloudServerOutlined />, group: 'images' } },
];

/** Where `/` and unknown paths go. */
export const HOME = paths.repositories;

export const publicRoutes = routes.filter((r) => r.public);
export const shellRoutes = routes.filter((r) => !r.public);

export const menuGroupKeys = MENU_GROUPS.map((g) => g.key);

export function menuItems(t: Translate): NonNullable<MenuProps['items']> {
  return MENU_GROUPS.map((g) => ({
    key: g.key,
    label: t(g.label),
    icon: g.icon,
    children: routes.flatMap((r) => (r.menu?.group === g.key ? [{ key: r.path, label: t(r.menu.label), icon: r.menu.icon }] : [])),
  }));
}

/** The menu entry a location belongs to: the longest menu path it is under (a detail page selects its list), else HOME. */
export function menuKeyOf(pathname: string): string {
  const under = routes.filter((r) => r.menu && (pathname === r.path || pathname.startsWith(`${r.path}/`)));
  return under.sort((a, b) => b.path.length - a.path.length)[0]?.path ?? HOME;
}
