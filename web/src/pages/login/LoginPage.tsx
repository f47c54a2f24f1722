/** 登录: an API token, checked against the server before it is kept. */
import { useState } from 'react';
import { Alert, Button, Card, Form, Input, Space, Typography } from 'antd';
import { GlobalOutlined, KeyOutlined } from '@ant-design/icons';
import { Navigate, useLocation, useNavigate } from 'react-router';
import { checkToken } from '../../api/session.ts';
import { useAuth } from '../../auth.tsx';
import { ErrorText } from '../../components/ErrorText.tsx';
import { useI18n } from '../../i18n.tsx';
import { paths } from '../../paths.ts';

export function LoginPage() {
  const { t, lang, setLang } = useI18n();
  const { token, reason, signIn } = useAuth();
  const navigate = useNavigate();
  const location = useLocation();
  const state = (location.state ?? {}) as { from?: string; signedOut?: boolean };
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  if (token) return <Navigate to={state.from ?? paths.repositories} replace />;

  async function submit(values: { token: string }) {
    const candidate = values.token.trim();
    setBusy(true);
    setError(null);
    try {
      await checkToken(candidate);
      signIn(candidate);
      navigate(state.from ?? paths.repositories, { replace: true });
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  }

  return (
    <div className="login-wrap">
      <Card className="login-card" title={<Space><span aria-hidden>⚓</span>{t('login.title')}</Space>} extra={<Button type="text" icon={<GlobalOutlined />} onClick={() => setLang(lang === 'zh' ? 'en' : 'zh')} data-testid="lang-switch">{t('top.switchTo')}</Button>}>
        <Typography.Paragraph type="secondary">{t('login.subtitle')}</Typography.Paragraph>
        {reason && <Alert type="warning" showIcon style={{ marginBottom: 16 }} title={<span title={reason}>{t('login.expired')}</span>} data-testid="login-reason" />}
        {!reason && state.signedOut && <Alert type="info" showIcon style={{ marginBottom: 16 }} title={t('login.signedOut')} />}
        {error !== null && <Alert type="error" showIcon style={{ marginBottom: 16 }} title={<ErrorText err={error} />} data-testid="login-error" />}
        <Form layout="vertical" onFinish={submit} requiredMark={false} name="login">
          <Form.Item name="token" label={t('login.token')} extra={t('login.tokenHelp')} rules={[{ required: true, whitespace: true, message: t('login.required') }]}>
            <Input.Password prefix={<KeyOutlined />} placeholder={t('login.tokenPlaceholder')} autoComplete="current-password" autoFocus />
          </Form.Item>
          <Button type="primary" htmlType="submit" block loading={busy}>
            {t('login.submit')}
          </Button>
        </Form>
      </Card>
    </div>
  );
}
