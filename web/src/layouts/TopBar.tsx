import { Button, Layout, Space, Tag, Tooltip } from 'antd';
import { GlobalOutlined, LogoutOutlined } from '@ant-design/icons';
import { useNavigate } from 'react-router';
import { useAuth } from '../auth.tsx';
import { HoverTip } from '../components/HoverTip.tsx';
import { useMe } from '../hooks/useSession.ts';
import { useI18n } from '../i18n.tsx';
import { paths } from '../paths.ts';

/** The brand, 只读 for a viewer token, the language switch and 退出登录. */
export function TopBar() {
  const { t, lang, setLang } = useI18n();
  const { signOut } = useAuth();
  const me = useMe();
  const navigate = useNavigate();
  return (
    <Layout.Header className="topbar">
      <div className="brand" aria-label={t('app.title')}>
        <span className="brand-mark" aria-hidden>⚓</span>
        <span>{t('app.title')}</span>
      </div>
      <Space size="small">
        {me.data?.role === 'viewer' && (
          <HoverTip title={t('top.readOnlyHint', { name: me.data.username })}>
            <Tag color="default" data-testid="read-only">{t('top.readOnly')}</Tag>
          </HoverTip>
        )}
        {/* antd's Tooltip, not HoverTip: HoverTip puts the Tooltip around the button on the first hover, replacing the button under a click in progress. */}
        <Tooltip title={t('top.language')}>
          <Button type="text" className="topbar-btn" icon={<GlobalOutlined />} onClick={() => setLang(lang === 'zh' ? 'en' : 'zh')} aria-label={`${t('top.language')}: ${t('top.switchTo')}`} data-testid="lang-switch">
            {t('top.switchTo')}
          </Button>
        </Tooltip>
        <Button type="text" className="topbar-btn" icon={<LogoutOutlined />} onClick={() => { signOut(null); navigate(paths.login, { state: { signedOut: true } }); }} data-testid="sign-out">
          {t('top.signOut')}
        </Button>
      </Space>
    </Layout.Header>
  );
}
