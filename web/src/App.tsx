import { Button, ConfigProvider, Layout, Menu, Space, Tag, Tooltip, theme, App as AntApp } from 'antd';
import enUS from 'antd/locale/en_US';
import zhCN from 'antd/locale/zh_CN';
import { CloudServerOutlined, ContainerOutlined, GlobalOutlined, LogoutOutlined } from '@ant-design/icons';
import { Navigate, Route, Routes, useLocation, useNavigate } from 'react-router';
import { useMe } from './api/hooks.ts';
import { AuthProvider, useAuth } from './auth.tsx';
import { useI18n } from './i18n.tsx';
import { LoginPage } from './pages/Login.tsx';
import { RepositoriesPage } from './pages/Repositories.tsx';
import { RepositoryDetailPage } from './pages/RepositoryDetail.tsx';
import { RegistriesPage } from './pages/Registries.tsx';

export function App() {
  const { lang } = useI18n();
  return (
    <ConfigProvider
      button={{ autoInsertSpace: false }}
      locale={lang === 'zh' ? zhCN : enUS}
      theme={{ algorithm: theme.defaultAlgorithm, token: { colorPrimary: '#3370ff', borderRadius: 4, fontFamily: "-apple-system, BlinkMacSystemFont, 'Segoe UI', Roboto, 'PingFang SC', 'Hiragino Sans GB', 'Microsoft YaHei', 'Noto Sans CJK SC', 'WenQuanYi Micro Hei', sans-serif" } }}
    >
      <AntApp>
        <AuthProvider>
          <Routes>
            <Route path="/login" element={<LoginPage />} />
            <Route path="/*" element={<RequireAuth><Shell /></RequireAuth>} />
          </Routes>
        </AuthProvider>
      </AntApp>
    </ConfigProvider>
  );
}

function RequireAuth({ children }: { children: React.ReactNode }) {
  const { token } = useAuth();
  const location = useLocation();
  if (!token) return <Navigate to="/login" replace state={{ from: location.pathname + location.search }} />;
  return <>{children}</>;
}

function Shell() {
  const { t, lang, setLang } = useI18n();
  const { signOut } = useAuth();
  const me = useMe();
  const navigate = useNavigate();
  const location = useLocation();
  const selected = location.pathname.startsWith('/registries') ? 'registries' : 'repositories';
  return (
    <Layout className="shell">
      <Layout.Header className="topbar">
        <div className="brand" aria-label={t('app.title')}>
          <span className="brand-mark" aria-hidden>⚓</span>
          <span>{t('app.title')}</span>
        </div>
        <Space size="small">
          {me.data?.role === 'viewer' && (
            <Tooltip title={t('top.readOnlyHint', { name: me.data.username })}>
              <Tag color="default" data-testid="read-only">{t('top.readOnly')}</Tag>
            </Tooltip>
          )}
          <Tooltip title={t('top.language')}>
            <Button type="text" className="topbar-btn" icon={<GlobalOutlined />} onClick={() => setLang(lang === 'zh' ? 'en' : 'zh')} aria-label={`${t('top.language')}: ${t('top.switchTo')}`} data-testid="lang-switch">
              {t('top.switchTo')}
            </Button>
          </Tooltip>
          <Button type="text" className="topbar-btn" icon={<LogoutOutlined />} onClick={() => { signOut(null); navigate('/login', { state: { signedOut: true } }); }} data-testid="sign-out">
            {t('top.signOut')}
          </Button>
        </Space>
      </Layout.Header>
      <Layout>
        <Layout.Sider width={220} theme="light" className="sider" breakpoint="lg" collapsedWidth={0}>
          <Menu
            mode="inline"
            selectedKeys={[selected]}
            defaultOpenKeys={['images']}
            onClick={({ key }) => navigate(key === 'registries' ? '/registries' : '/repositories')}
            items={[
              {
                key: 'images',
                label: t('nav.images'),
                icon: <ContainerOutlined />,
                children: [
                  { key: 'repositories', label: t('nav.repositories'), icon: <ContainerOutlined /> },
                  { key: 'registries', label: t('nav.registries'), icon: <CloudServerOutlined /> },
                ],
              },
            ]}
          />
        </Layout.Sider>
        <Layout.Content className="content">
          <Routes>
            <Route path="/" element={<Navigate to="/repositories" replace />} />
            <Route path="/repositories" element={<RepositoriesPage />} />
            <Route path="/repositories/:namespace/:name" element={<RepositoryDetailPage />} />
            <Route path="/registries" element={<RegistriesPage />} />
            <Route path="*" element={<Navigate to="/repositories" replace />} />
          </Routes>
        </Layout.Content>
      </Layout>
    </Layout>
  );
}
