import { useEffect, useEffectEvent, useState } from 'react';
import { Alert, Button, Checkbox, Drawer, Form, Input, Space, Typography } from 'antd';
import type { RegistrySpec } from '../../../../src/api/types.ts';
import type { Registry } from '../../api/client.ts';
import { saveRegistry } from '../../api/registries.ts';
import { rules } from '../../forms/rules.ts';
import { serverErrors, type CauseFields } from '../../forms/serverErrors.ts';
import { registryHost } from '../../format.ts';
import { useNamespaces } from '../../hooks/useNamespaces.ts';
import { useErrorText } from '../../components/ErrorText.tsx';
import { useGuardedClose } from '../../forms/useGuardedClose.ts';
import { useI18n } from '../../i18n.tsx';

interface Values {
  name: string;
  namespace: string;
  url: string;
  insecure?: boolean;
  plainHTTP?: boolean;
  caBundle?: string;
  proxy?: string;
  username?: string;
  password?: string;
  clearPassword?: boolean;
}

/** Server field paths -> form fields, for 422 causes. */
const CAUSE_FIELDS: CauseFields<keyof Values> = [
  ['metadata.name', 'name'],
  [/^metadata\.namespace/, 'namespace'],
  ['spec.url', 'url'],
  ['spec.caBundle', 'caBundle'],
  ['spec.proxy', 'proxy'],
  ['spec.credentials.username', 'username'],
  [/^spec\.credentials/, 'password'],
  ['spec.insecure', 'insecure'],
  ['spec.plainHTTP', 'plainHTTP'],
];

/** The form's values for `existing`, or a new registry's defaults. The password is write-only: never filled. */
function initialValues(existing: Registry | null, defaultNamespace: string): Values {
  const blank = { name: '', url: '', caBundle: '', proxy: '', username: '', password: '', clearPassword: false };
  if (!existing) return { ...blank, namespace: defaultNamespace, insecure: false, plainHTTP: false };
  return {
    ...blank,
    name: existing.metadata.name,
    namespace: existing.metadata.namespace,
    url: existing.spec.url,
    insecure: existing.spec.insecure ?? false,
    plainHTTP: existing.spec.plainHTTP ?? false,
    caBundle: existing.spec.caBundle ?? '',
    proxy: existing.spec.proxy ?? '',
    username: existing.spec.credentials?.username ?? '',
  };
}

/**
 * The credentials to send. An omitted password keeps the stored one; `''`
 * removes it (「清除已保存的密码」); no credentials at all removes them.
 */
function credentialsOf(v: Values, hasPassword: boolean): RegistrySpec['credentials'] {
  const username = v.username?.trim() ?? '';
  const password = v.password ?? '';
  if (!username && !password && !(hasPassword && !v.clearPassword)) return undefined;
  const credentials: { username?: string; password?: string } = {};
  if (username) credentials.username = username;
  if (password) credentials.password = password;
  else if (hasPassword && v.clearPassword) credentials.password = '';
  return credentials;
}

/** 添加镜像源 / 编辑镜像源: `value` is the registry to edit, `'new'`, or null (closed). */
export function RegistryDrawer({ value, onClose, onSaved }: { value: Registry | 'new' | null; onClose: () => void; onSaved: (r: Registry, created: boolean) => void }) {
  const { t } = useI18n();
  const errorText = useErrorText();
  const [form] = Form.useForm<Values>();
  const guardedClose = useGuardedClose(form, onClose);
  const namespaces = useNamespaces();
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const existing = value !== null && value !== 'new' ? value : null;
  const hasPassword = existing?.spec.credentials?.hasPassword === true;
  const clearPassword = Form.useWatch('clearPassword', form);

  // Every opening starts afresh: no error, and the form store (which
  // outlives the drawer's content) filled from the registry or the defaults.
  const [openedFor, setOpenedFor] = useState(value);
  if (value !== openedFor) {
    setOpenedFor(value);
    if (value !== null) setError(null);
  }
  const resetForm = useEffectEvent((opened: Registry | 'new') => {
    form.resetFields();
    form.setFieldsValue(initialValues(opened === 'new' ? null : opened, namespaces.data?.[0] ?? 'default'));
  });
  useEffect(() => {
    if (value !== null) resetForm(value);
  }, [value]);

  async function submit(v: Values) {
    setBusy(true);
    setError(null);
    const credentials = credentialsOf(v, hasPassword);
    const metadata = {
      name: v.name.trim(),
      namespace: v.namespace.trim(),
      ...(existing?.metadata.resourceVersion ? { resourceVersion: existing.metadata.resourceVersion } : {}),
      ...(existing?.metadata.labels ? { labels: existing.metadata.labels } : {}),
      ...(existing?.metadata.annotations ? { annotations: existing.metadata.annotations } : {}),
    };
    const spec: RegistrySpec = {
      url: v.url.trim(),
      ...(v.insecure ? { insecure: true } : {}),
      ...(v.plainHTTP ? { plainHTTP: true } : {}),
      ...(v.caBundle?.trim() ? { caBundle: v.caBundle.trim() + '\n' } : {}),
      ...(v.proxy?.trim() ? { proxy: v.proxy.trim() } : {}),
      ...(credentials ? { credentials } : {}),
    };
    try {
      onSaved(await saveRegistry(existing, metadata, spec), !existing);
    } catch (err) {
      const { fields, loose } = serverErrors(err, CAUSE_FIELDS, 'name', (e) => errorText(e, { kind: 'Registry', name: `${metadata.namespace}/${metadata.name}` }).text);
      if (fields.length) form.setFields(fields);
      if (loose.length) setError(loose.join('; '));
    } finally {
      setBusy(false);
    }
  }

  return (
    <Drawer
      open={value !== null}
      onClose={guardedClose}
      size={520}
      destroyOnHidden
      title={existing ? t('reg.editTitle', { name: existing.metadata.name }) : t('reg.add')}
      extra={
        <Space>
          <Button onClick={onClose}>{t('common.cancel')}</Button>
          <Button type="primary" loading={busy} onClick={() => form.submit()} data-testid="registry-submit">{t('common.ok')}</Button>
        </Space>
      }
    >
      {error && <Alert type="error" showIcon title={error} style={{ marginBottom: 16 }} />}
      <Form form={form} layout="vertical" onFinish={submit} name="registry">
        <Form.Item name="name" label={t('reg.col.name')} rules={[rules.required(t), rules.name(t)]}>
          <Input disabled={existing !== null} placeholder="harbor-prod" autoComplete="off" />
        </Form.Item>
        <Form.Item name="namespace" label={t('form.namespace')} rules={[rules.required(t), rules.namespace(t)]}>
          <Input disabled={existing !== null} placeholder="default" autoComplete="off" list="ns-options" />
        </Form.Item>
        <datalist id="ns-options">{(namespaces.data ?? []).map((n) => <option key={n} value={n} />)}</datalist>
        <Form.Item name="url" label={t('reg.url')} extra={t('reg.urlHelp')} rules={[rules.required(t)]}>
          <Input placeholder="https://harbor.example.com" autoComplete="off" />
        </Form.Item>
        <Space size="large">
          <Form.Item name="plainHTTP" valuePropName="checked" noStyle>
            <Checkbox>{t('reg.plainHTTP')}</Checkbox>
          </Form.Item>
          <Form.Item name="insecure" valuePropName="checked" noStyle>
            <Checkbox>{t('reg.insecure')}</Checkbox>
          </Form.Item>
        </Space>
        <div style={{ height: 16 }} />
        <Form.Item name="caBundle" label={t('reg.caBundle')}>
          <Input.TextArea rows={3} placeholder="-----BEGIN CERTIFICATE-----" className="mono" />
        </Form.Item>
        <Form.Item name="proxy" label={t('reg.proxy')} extra={t('reg.proxyHelp')}>
          <Input placeholder="http://proxy.example.com:3128" autoComplete="off" />
        </Form.Item>
        <Form.Item name="username" label={t('reg.username')}>
          <Input autoComplete="off" />
        </Form.Item>
        <Form.Item name="password" label={t('reg.password')} extra={hasPassword ? t('reg.passwordHelp') : undefined}>
          <Input.Password autoComplete="new-password" placeholder={hasPassword ? t('reg.passwordUnchanged') : ''} disabled={clearPassword === true} />
        </Form.Item>
        {hasPassword && (
          <Form.Item name="clearPassword" valuePropName="checked">
            <Checkbox>{t('reg.clearPassword')}</Checkbox>
          </Form.Item>
        )}
        <Typography.Text type="secondary">{existing ? registryHost(existing.spec.url) : ''}</Typography.Text>
      </Form>
    </Drawer>
  );
}
