import { Layout, Menu } from 'antd';
import { Navigate, Route, Routes, useLocation, useNavigate } from 'react-router';
import { useMe } from '../hooks/useSession.ts';
import { useI18n } from '../i18n.tsx';
import { HOME, menuGroupKeys, menuItems, menuKeyOf, shellRoutes } from '../routes.tsx';
import { TopBar } from './TopBar.tsx';

/** The signed-in layout: top bar, side menu and the page; menu and pages both come from routes.tsx. */
export function Shell() {
  const { t } = useI18n();
  const navigate = useNavigate();
  const location = useLocation();
  const me = useMe();
  return (
    <Layout className="shell">
      <TopBar />
      <Layout>
        <Layout.Sider width={220} theme="light" className="sider" breakpoint="lg" collapsedWidth={0}>
          {/* No item tooltips: antd shows them only for a menu collapsed to its icons, which this one never is (it hides below lg), and each cost a Tooltip on every first render (issue 16's cold load). */}
          <Menu mode="inline" tooltip={false} selectedKeys={[menuKeyOf(location.pathname)]} defaultOpenKeys={menuGroupKeys} onClick={({ key }) => navigate(key)} items={menuItems(t, me.data?.role)} />
        </Layout.Sider>
        <Layout.Content className="content">
          <Routes>
            <Route path="/" element={<Navigate to={HOME} replace />} />
            {shellRoutes.map((r) => <Route key={r.path} path={r.path} element={r.element} />)}
            <Route path="*" element={<Navigate to={HOME} replace />} />
          </Routes>
        </Layout.Content>
      </Layout>
    </Layout>
  );
}
