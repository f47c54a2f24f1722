/**
 * Every page of the console, once: the router and the side menu are both
 * built from this table. A new page is its module under pages/ and one row
 * here (with `menu` if it has a menu entry).
 */
import { type ComponentType, type ReactNode, Suspense } from 'react';
import { type MenuProps, Skeleton } from 'antd';
import { Navigate, useLocation } from 'react-router';
import { ApiOutlined, AuditOutlined, CloudServerOutlined, ContainerOutlined, DashboardOutlined, DatabaseOutlined, FundOutlined, ImportOutlined, KeyOutlined, SettingOutlined } from '@ant-design/icons';
import type { Role } from '../../src/api/types.ts';
import type { MessageKey, Translate } from './i18n.tsx';
import { RepositoriesPage } from './pages/repositories/RepositoriesPage.tsx';
import { lazyWithLaterCss } from './lazyWithLaterCss.ts';
import { paths } from './paths.ts';

/**
 * A page loaded on first visit (its own chunk, issue 16: the first load
 * fetches only the page it shows), with a skeleton while its chunk and the
 * later part of antd's CSS (antdLater.ts) arrive.
 */
function page(load: () => Promise<ComponentType>): ReactNode {
  const Page = lazyWithLaterCss(load);
  return (
    <Suspense fallback={<Skeleton active style={{ padding: 24 }} />}>
      <Page />
    </Suspense>
  );
}

/** A page that moved: its old URL goes to `to`, with the same query. */
function Moved({ to }: { to: string }) {
  const { search } = useLocation();
  return <Navigate to={{ pathname: to, search }} replace />;
}

export interface AppRoute {
  path: string;
  element: ReactNode;
  /** Shown without a token, outside the shell (no menu, no top bar). */
  public?: boolean;
  /** The side-menu entry, under the group `group`; its menu key is `path`. `role`: shown only to tokens of that role or above (see MENU_GROUPS). */
  menu?: { label: MessageKey; icon: ReactNode; group: string; role?: Role };
}

/**
 * The side menu's groups, in order. `role`: shown only to tokens of that role
 * or above (the server's roles, GET /whoami: viewer < editor < admin), as
 * the server would answer 403 to others.
 */
const MENU_GROUPS: { key: string; label: MessageKey; icon: ReactNode; role?: Role }[] = [
  { key: 'monitoring', label: 'overview.nav.group', icon: <FundOutlined /> },
  { key: 'images', label: 'nav.images', icon: <ContainerOutlined /> },
  { key: 'admin', label: 'admin.nav', icon: <SettingOutlined />, role: 'admin' },
];

export const routes: AppRoute[] = [
  { path: paths.login, element: page(async () => (await import('./pages/login/LoginPage.tsx')).LoginPage), public: true },
  { path: paths.overview, element: page(async () => (await import('./pages/overview/OverviewPage.tsx')).OverviewPage), menu: { label: 'overview.nav.overview', icon: <DashboardOutlined />, group: 'monitoring' } },
  { path: paths.storage, element: page(async () => (await import('./pages/storage/StoragePage.tsx')).StoragePage), menu: { label: 'overview.nav.storage', icon: <DatabaseOutlined />, group: 'monitoring' } },
  // HOME is part of the first load (no chunk of its own to wait for after the shell renders); every other page is lazy.
  { path: paths.repositories, element: <RepositoriesPage />, menu: { label: 'nav.repositories', icon: <ContainerOutlined />, group: 'images' } },
  { path: '/repositories/:namespace/:name', element: page(async () => (await import('./pages/repository-detail/RepositoryDetailPage.tsx')).RepositoryDetailPage) },
  { path: paths.registries, element: page(async () => (await import('./pages/registries/RegistriesPage.tsx')).RegistriesPage), menu: { label: 'nav.registries', icon: <CloudServerOutlined />, group: 'images' } },
  { path: paths.repositoriesImport, element: page(async () => (await import('./pages/import/ImportPage.tsx')).ImportPage), menu: { label: 'import.nav', icon: <ImportOutlined />, group: 'images' } },
  { path: paths.adminTokens, element: page(async () => (await import('./pages/admin/TokensPage.tsx')).TokensPage), menu: { label: 'admin.nav.tokens', icon: <KeyOutlined />, group: 'admin' } },
  { path: paths.adminAudit, element: page(async () => (await import('./pages/admin/AuditPage.tsx')).AuditPage), menu: { label: 'admin.nav.audit', icon: <AuditOutlined />, group: 'admin' } },
  // A namespace's webhooks are its editors' to manage (docs/api.md): beside the namespace's images and registries, not under 系统管理.
  { path: paths.webhooks, element: page(async () => (await import('./pages/admin/WebhooksPage.tsx')).WebhooksPage), menu: { label: 'admin.nav.webhooks', icon: <ApiOutlined />, group: 'images', role: 'editor' } },
  // Where webhooks were before (bookmarks).
  { path: '/admin/webhooks', element: <Moved to={paths.webhooks} /> },
];

/** Where `/` and unknown paths go. */
export const HOME = paths.repositories;

export const publicRoutes = routes.filter((r) => r.public);
export const shellRoutes = routes.filter((r) => !r.public);

export const menuGroupKeys = MENU_GROUPS.map((g) => g.key);

const RANK: Record<Role, number> = { viewer: 0, editor: 1, admin: 2 };

/** Whether a token of `role` (undefined: not known yet) may use what needs `needed`. */
function mayUse(role: Role | undefined, needed: Role | undefined): boolean {
  return !needed || (role !== undefined && RANK[role] >= RANK[needed]);
}

/** The menu for a token of `role` (undefined until GET /whoami answers: no role-only group yet). */
export function menuItems(t: Translate, role?: Role): NonNullable<MenuProps['items']> {
  return MENU_GROUPS.filter((g) => mayUse(role, g.role)).map((g) => ({
    key: g.key,
    label: t(g.label),
    icon: g.icon,
    children: routes.flatMap((r) => (r.menu?.group === g.key && mayUse(role, r.menu.role) ? [{ key: r.path, label: t(r.menu.label), icon: r.menu.icon }] : [])),
  }));
}

/** The menu entry a location belongs to: the longest menu path it is under (a detail page selects its list), else HOME. */
export function menuKeyOf(pathname: string): string {
  const under = routes.filter((r) => r.menu && (pathname === r.path || pathname.startsWith(`${r.path}/`)));
  return under.sort((a, b) => b.path.length - a.path.length)[0]?.path ?? HOME;
}
