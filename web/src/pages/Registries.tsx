import { useEffect, useState } from 'react';
import { Alert, App, Button, Checkbox, Descriptions, Drawer, Dropdown, Empty, Form, Input, Modal, Result, Space, Table, Tag, Tooltip, Typography } from 'antd';
import { ApiOutlined, CheckCircleFilled, CloseCircleFilled, DeleteOutlined, EditOutlined, MoreOutlined, PlusOutlined, ReloadOutlined, SearchOutlined } from '@ant-design/icons';
import { useQueryClient } from '@tanstack/react-query';
import { ApiError, nsPath, request, type Registry, type RegistryTestResult } from '../api/client.ts';
import { keys, useCanWrite, useNamespaces, useRegistries } from '../api/hooks.ts';
import { TypedConfirm } from '../components/TypedConfirm.tsx';
import { API_VERSION } from '../../../src/api/types.ts';
import { formatTime, fromNow, isName, isNamespace, objKey, registryHost } from '../format.ts';
import { useI18n } from '../i18n.tsx';

interface Values {
  name: string;
  namespace: string;
  url: string;
  insecure?: boolean;
  plainHTTP?: boolean;
  caBundle?: string;
  username?: string;
  password?: string;
  clearPassword?: boolean;
}

function fieldFor(path: string | undefined): keyof Values | undefined {
  if (!path) return undefined;
  if (path === 'metadata.name') return 'name';
  if (path.startsWith('metadata.namespace')) return 'namespace';
  if (path === 'spec.url') return 'url';
  if (path === 'spec.caBundle') return 'caBundle';
  if (path === 'spec.credentials.username') return 'username';
  if (path.startsWith('spec.credentials')) return 'password';
  if (path === 'spec.insecure') return 'insecure';
  if (path === 'spec.plainHTTP') return 'plainHTTP';
  return undefined;
}

export function RegistriesPage() {
  const { t } = useI18n();
  const { message } = App.useApp();
  const queryClient = useQueryClient();
  const registries = useRegistries();
  const [editing, setEditing] = useState<Registry | 'new' | null>(null);
  const canWrite = useCanWrite();
  const [deleting, setDeleting] = useState<Registry | null>(null);
  const [testing, setTesting] = useState<string | null>(null);
  const [result, setResult] = useState<{ registry: Registry; result: RegistryTestResult } | null>(null);
  const [search, setSearch] = useState('');

  async function test(r: Registry) {
    setTesting(objKey(r));
    try {
      const res = await request<RegistryTestResult>(nsPath(r.metadata.namespace, 'registries', r.metadata.name, 'test'), { method: 'POST', body: {} });
      setResult({ registry: r, result: res });
      void queryClient.invalidateQueries({ queryKey: keys.registries });
    } catch (err) {
      message.error((err as Error).message);
    } finally {
      setTesting(null);
    }
  }

  const needle = search.trim().toLowerCase();
  const items = (registries.data?.items ?? []).filter((r) => !needle || r.metadata.name.includes(needle) || r.spec.url.toLowerCase().includes(needle) || r.metadata.namespace.includes(needle));

  return (
    <div>
      <div className="page-head">
        <div>
          <h1>{t('reg.title')}</h1>
          <p>{t('reg.subtitle')}</p>
        </div>
        {canWrite && (
          <Button type="primary" icon={<PlusOutlined />} onClick={() => setEditing('new')} data-testid="add-registry">
            {t('reg.add')}
          </Button>
        )}
      </div>
      <div className="toolbar">
        <Input allowClear prefix={<SearchOutlined />} placeholder={t('common.search')} aria-label={t('common.search')} value={search} onChange={(e) => setSearch(e.target.value)} style={{ width: 280 }} />
        <div className="grow" />
        <Button icon={<ReloadOutlined />} aria-label={t('common.refresh')} onClick={() => void registries.refetch()} />
      </div>
      <div className="panel">
        {registries.isError ? (
          <Result status="error" title={t('common.loadFailed', { msg: (registries.error as Error).message })} extra={<Button onClick={() => void registries.refetch()}>{t('common.retry')}</Button>} />
        ) : (
          <Table<Registry>
            rowKey={objKey}
            dataSource={items}
            loading={registries.isLoading}
            pagination={{ pageSize: 50, hideOnSinglePage: true }}
            locale={{
              emptyText: (
                <Empty image={Empty.PRESENTED_IMAGE_SIMPLE} description={t('reg.empty')}>
                  {canWrite && <Button type="primary" icon={<PlusOutlined />} onClick={() => setEditing('new')}>{t('reg.add')}</Button>}
                </Empty>
              ),
            }}
            columns={[
              { title: t('reg.col.name'), key: 'name', render: (_, r) => <Typography.Text strong>{r.metadata.name}</Typography.Text> },
              { title: t('repo.col.namespace'), key: 'ns', render: (_, r) => r.metadata.namespace },
              {
                title: t('reg.col.url'),
                key: 'url',
                render: (_, r) => (
                  <Space size={4}>
                    <span className="mono">{r.spec.url}</span>
                    {r.spec.plainHTTP && <Tag>HTTP</Tag>}
                    {r.spec.insecure && <Tag color="orange">insecure</Tag>}
                  </Space>
                ),
              },
              { title: t('reg.col.auth'), key: 'auth', render: (_, r) => (r.spec.credentials?.username ? `${r.spec.credentials.username}${r.spec.credentials.hasPassword ? ' / ••••••' : ''}` : r.spec.credentials?.hasToken ? 'token' : t('reg.anonymous')) },
              { title: t('reg.col.status'), key: 'status', render: (_, r) => <ConnState r={r} /> },
              { title: t('reg.col.checked'), key: 'checked', render: (_, r) => (r.status?.lastChecked ? <Tooltip title={formatTime(r.status.lastChecked)}>{fromNow(r.status.lastChecked)}</Tooltip> : '—') },
              // Every action here writes (the test records the registry's status): none for a viewer.
              ...(canWrite ? [{
                title: t('common.actions'),
                key: 'actions',
                width: 190,
                render: (_: unknown, r: Registry) => (
                  <Space>
                    <Button size="small" icon={<ApiOutlined />} loading={testing === objKey(r)} onClick={() => void test(r)} data-testid={`test-${r.metadata.name}`}>
                      {t('reg.test')}
                    </Button>
                    <Dropdown
                      trigger={['click']}
                      menu={{
                        items: [
                          { key: 'edit', icon: <EditOutlined />, label: t('common.edit') },
                          { key: 'delete', icon: <DeleteOutlined />, label: t('common.delete'), danger: true },
                        ],
                        onClick: ({ key }) => (key === 'edit' ? setEditing(r) : setDeleting(r)),
                      }}
                    >
                      <Button size="small" type="text" icon={<MoreOutlined />} aria-label={t('common.moreActions', { name: r.metadata.name })} data-testid={`reg-actions-${r.metadata.name}`} />
                    </Dropdown>
                  </Space>
                ),
              }] : []),
            ]}
          />
        )}
      </div>
      <RegistryDrawer
        value={editing}
        onClose={() => setEditing(null)}
        onSaved={(r, created) => {
          setEditing(null);
          message.success(created ? t('reg.created', { name: r.metadata.name }) : t('common.saved'));
          void queryClient.invalidateQueries({ queryKey: keys.registries });
          void queryClient.invalidateQueries({ queryKey: keys.namespaces });
        }}
      />
      <TypedConfirm
        open={deleting !== null}
        title={t('reg.deleteTitle')}
        warning={t('reg.deleteWarn')}
        prompt={t('reg.deleteTypeName', { name: deleting?.metadata.name ?? '' })}
        expected={deleting?.metadata.name ?? ''}
        onClose={() => setDeleting(null)}
        onConfirm={async () => {
          if (!deleting) return;
          await request(nsPath(deleting.metadata.namespace, 'registries', deleting.metadata.name), { method: 'DELETE' });
          message.success(t('common.deleted', { name: deleting.metadata.name }));
          void queryClient.invalidateQueries({ queryKey: keys.registries });
        }}
      />
      <Modal open={result !== null} title={result ? t('reg.testResult', { name: result.registry.metadata.name }) : ''} onCancel={() => setResult(null)} destroyOnHidden footer={<Button type="primary" onClick={() => setResult(null)} data-testid="close-result">{t('common.close')}</Button>}>
        {result && (
          <div data-testid="test-result">
            <Alert
              type={result.result.reachable && result.result.authenticated ? 'success' : 'error'}
              showIcon
              title={result.result.reachable && result.result.authenticated ? t('reg.testOk') : t('reg.testFail')}
              description={result.result.message}
              style={{ marginBottom: 12 }}
            />
            <Descriptions size="small" column={1} bordered>
              <Descriptions.Item label={t('reg.url')}>{result.registry.spec.url}</Descriptions.Item>
              <Descriptions.Item label={t('reg.reachable')}>{yesNo(result.result.reachable, t('reg.reachable'), t('reg.unreachable'))}</Descriptions.Item>
              <Descriptions.Item label={t('reg.authenticated')}>{yesNo(result.result.authenticated, t('reg.authenticated'), t('reg.notAuthenticated'))}</Descriptions.Item>
            </Descriptions>
          </div>
        )}
      </Modal>
    </div>
  );
}

function yesNo(v: boolean | undefined, yes: string, no: string) {
  return v ? (
    <Space><CheckCircleFilled style={{ color: '#52c41a' }} />{yes}</Space>
  ) : (
    <Space><CloseCircleFilled style={{ color: '#ff4d4f' }} />{no}</Space>
  );
}

function ConnState({ r }: { r: Registry }) {
  const { t } = useI18n();
  const s = r.status;
  if (!s || s.reachable === undefined) return <Tag>{t('reg.unknown')}</Tag>;
  const ok = s.reachable && s.authenticated;
  return (
    <Tooltip title={s.message}>
      <Tag color={ok ? 'green' : s.reachable ? 'orange' : 'red'} data-testid={`conn-${r.metadata.name}`}>
        {!s.reachable ? t('reg.unreachable') : s.authenticated ? t('reg.reachable') : t('reg.notAuthenticated')}
      </Tag>
    </Tooltip>
  );
}

function RegistryDrawer({ value, onClose, onSaved }: { value: Registry | 'new' | null; onClose: () => void; onSaved: (r: Registry, created: boolean) => void }) {
  const { t } = useI18n();
  const [form] = Form.useForm<Values>();
  const namespaces = useNamespaces();
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const existing = value !== null && value !== 'new' ? value : null;
  const hasPassword = existing?.spec.credentials?.hasPassword === true;
  const clearPassword = Form.useWatch('clearPassword', form);

  const initialValues: Partial<Values> = existing
    ? {
        name: existing.metadata.name,
        namespace: existing.metadata.namespace,
        url: existing.spec.url,
        insecure: existing.spec.insecure ?? false,
        plainHTTP: existing.spec.plainHTTP ?? false,
        caBundle: existing.spec.caBundle ?? '',
        username: existing.spec.credentials?.username ?? '',
        password: '',
      }
    : { namespace: namespaces.data?.[0] ?? 'default', insecure: false, plainHTTP: false };
  // The form store outlives the drawer's content: start every opening afresh.
  useEffect(() => {
    if (value === null) return;
    form.resetFields();
    form.setFieldsValue({ name: '', url: '', caBundle: '', username: '', password: '', clearPassword: false, ...initialValues });
    setError(null);
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [value]);

  async function submit(v: Values) {
    setBusy(true);
    setError(null);
    const username = v.username?.trim() ?? '';
    const password = v.password ?? '';
    let credentials: Record<string, string> | undefined;
    if (username || password || (hasPassword && !v.clearPassword)) {
      credentials = {};
      if (username) credentials.username = username;
      if (password) credentials.password = password;
      else if (hasPassword && v.clearPassword) credentials.password = '';
      // password omitted = keep the stored one
    } else if (hasPassword && v.clearPassword) {
      credentials = undefined;
    }
    const body = {
      apiVersion: API_VERSION,
      kind: 'Registry',
      metadata: { name: v.name.trim(), namespace: v.namespace.trim(), ...(existing?.metadata.resourceVersion ? { resourceVersion: existing.metadata.resourceVersion } : {}), ...(existing?.metadata.labels ? { labels: existing.metadata.labels } : {}), ...(existing?.metadata.annotations ? { annotations: existing.metadata.annotations } : {}) },
      spec: {
        url: v.url.trim(),
        ...(v.insecure ? { insecure: true } : {}),
        ...(v.plainHTTP ? { plainHTTP: true } : {}),
        ...(v.caBundle?.trim() ? { caBundle: v.caBundle.trim() + '\n' } : {}),
        ...(credentials ? { credentials } : {}),
      },
    };
    try {
      const saved = existing
        ? await request<Registry>(nsPath(existing.metadata.namespace, 'registries', existing.metadata.name), { method: 'PUT', body })
        : await request<Registry>(nsPath(v.namespace.trim(), 'registries'), { method: 'POST', body });
      onSaved(saved, !existing);
    } catch (err) {
      if (err instanceof ApiError) {
        const fields: { name: keyof Values; errors: string[] }[] = [];
        const loose: string[] = [];
        for (const c of err.causes) {
          const f = fieldFor(c.field);
          if (f) fields.push({ name: f, errors: [c.message] });
          else loose.push(c.field ? `${c.field}: ${c.message}` : c.message);
        }
        if (err.status?.reason === 'AlreadyExists') fields.push({ name: 'name', errors: [err.message] });
        if (fields.length) form.setFields(fields);
        if (loose.length || !fields.length) setError(loose.length ? loose.join('; ') : err.message);
      } else setError(String(err));
    } finally {
      setBusy(false);
    }
  }

  return (
    <Drawer
      open={value !== null}
      onClose={onClose}
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
        <Form.Item name="name" label={t('reg.col.name')} rules={[{ required: true, message: t('common.required') }, { validator: (_, v: string) => (!v || isName(v.trim()) ? Promise.resolve() : Promise.reject(new Error(t('form.err.dns1123')))) }]}>
          <Input disabled={existing !== null} placeholder="harbor-prod" autoComplete="off" />
        </Form.Item>
        <Form.Item name="namespace" label={t('form.namespace')} rules={[{ required: true, message: t('common.required') }, { validator: (_, v: string) => (!v || isNamespace(v.trim()) ? Promise.resolve() : Promise.reject(new Error(t('form.err.dns1123label')))) }]}>
          <Input disabled={existing !== null} placeholder="default" autoComplete="off" list="ns-options" />
        </Form.Item>
        <datalist id="ns-options">{(namespaces.data ?? []).map((n) => <option key={n} value={n} />)}</datalist>
        <Form.Item name="url" label={t('reg.url')} extra={t('reg.urlHelp')} rules={[{ required: true, message: t('common.required') }]}>
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
