import { ConfigProvider, theme, App as AntApp } from 'antd';
import enUS from 'antd/locale/en_US';
import zhCN from 'antd/locale/zh_CN';
import { Route, Routes } from 'react-router';
import { AuthProvider } from './auth.tsx';
import { RequireAuth } from './components/RequireAuth.tsx';
import { useI18n } from './i18n.tsx';
import { Shell } from './layouts/Shell.tsx';
import { publicRoutes } from './routes.tsx';

const THEME = {
  algorithm: theme.defaultAlgorithm,
  zeroRuntime: true,
  token: { colorPrimary: '#3370ff', borderRadius: 4, fontFamily: "-apple-system, BlinkMacSystemFont, 'Segoe UI', Roboto, 'PingFang SC', 'Hiragino Sans GB', 'Microsoft YaHei', 'Noto Sans CJK SC', 'WenQuanYi Micro Hei', sans-serif" },
};

/** antd's theme and locale, the token, and the routes: public ones bare, the rest inside the signed-in shell. */
export function App() {
  const { lang } = useI18n();
  return (
    <ConfigProvider button={{ autoInsertSpace: false }} locale={lang === 'zh' ? zhCN : enUS} theme={THEME}>
      <AntApp>
        <AuthProvider>
          <Routes>
            {publicRoutes.map((r) => <Route key={r.path} path={r.path} element={r.element} />)}
            <Route path="/*" element={<RequireAuth><Shell /></RequireAuth>} />
          </Routes>
        </AuthProvider>
      </AntApp>
    </ConfigProvider>
  );
}
