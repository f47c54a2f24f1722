import { useEffect, useMemo, useState } from 'react';
import { Alert, AutoComplete, Button, Collapse, Drawer, Form, Input, InputNumber, Select, Space } from 'antd';
import { ApiError, nsPath, request, type Repository } from '../api/client.ts';
import { useNamespaces, useRegistries } from '../api/hooks.ts';
import { API_VERSION, type RepositorySpec } from '../../../src/api/types.ts';
import { DESCRIPTION_ANNOTATION, DISPLAY_NAME_ANNOTATION, REPOSITORY_PATH, TAG, isDuration, isName, isNamespace, registryHost } from '../format.ts';
import { useI18n } from '../i18n.tsx';

interface Values {
  name: string;
  displayName?: string;
  namespace: string;
  description?: string;
  registry: string;
  repository: string;
  tag: string;
  syncInterval?: string;
  syncTimeout?: string;
  retryCount?: number | null;
  mirrorRegistry?: string;
  mirrorPath?: string;
  mirrorTag?: string;
}

/** Server field paths -> form fields, for 422 causes. */
function fieldFor(path: string | undefined): keyof Values | undefined {
  if (!path) return undefined;
  if (path === 'metadata.name') return 'name';
  if (path.startsWith('metadata.namespace')) return 'namespace';
  if (path.includes(DISPLAY_NAME_ANNOTATION)) return 'displayName';
  if (path.includes(DESCRIPTION_ANNOTATION)) return 'description';
  if (path.startsWith('spec.mirror.registryRef')) return 'mirrorRegistry';
  if (path === 'spec.mirror.repository') return 'mirrorPath';
  if (path === 'spec.mirror.tag') return 'mirrorTag';
  if (path.startsWith('spec.mirror')) return 'mirrorRegistry';
  if (path.startsWith('spec.registryRef')) return 'registry';
  if (path === 'spec.repository') return 'repository';
  if (path === 'spec.tag') return 'tag';
  if (path === 'spec.syncInterval') return 'syncInterval';
  if (path === 'spec.syncTimeout') return 'syncTimeout';
  if (path === 'spec.retryCount') return 'retryCount';
  return undefined;
}

const ADVANCED: (keyof Values)[] = ['syncTimeout', 'retryCount', 'mirrorRegistry', 'mirrorPath', 'mirrorTag'];

/** 「添加镜像」: the create panel with the seed's fields and advanced settings. */
export function RepositoryDrawer({ open, defaultNamespace, onClose, onCreated }: { open: boolean; defaultNamespace: string | undefined; onClose: () => void; onCreated: (r: Repository) => void }) {
  const { t } = useI18n();
  const [form] = Form.useForm<Values>();
  const registries = useRegistries();
  const namespaces = useNamespaces();
  const [busy, setBusy] = useState(false);
  const [formError, setFormError] = useState<string[] | null>(null);
  const [advancedOpen, setAdvancedOpen] = useState<string[]>([]);
  const ns = Form.useWatch('namespace', form);

  // The form store outlives the drawer's content: start every opening afresh.
  useEffect(() => {
    if (open) {
      form.resetFields();
      form.setFieldsValue({ namespace: defaultNamespace ?? namespaces.data?.[0] ?? 'default', tag: 'latest', syncInterval: '1h', registry: undefined });
      setFormError(null);
      setAdvancedOpen([]);
    }
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [open]);

  const registryOptions = useMemo(() => {
    const items = registries.data?.items ?? [];
    const sorted = [...items].sort((a, b) => Number(b.metadata.namespace === ns) - Number(a.metadata.namespace === ns) || a.metadata.namespace.localeCompare(b.metadata.namespace) || a.metadata.name.localeCompare(b.metadata.name));
    return sorted.map((r) => ({
      value: `${r.metadata.namespace}/${r.metadata.name}`,
      label: `${r.metadata.name} (${registryHost(r.spec.url)})${r.metadata.namespace !== ns ? ` · ${r.metadata.namespace}` : ''}`,
    }));
  }, [registries.data, ns]);

  // Pick the first registry of the namespace when none is chosen yet.
  useEffect(() => {
    if (!open) return;
    const cur = form.getFieldValue('registry') as string | undefined;
    if (!cur && registryOptions[0]) form.setFieldValue('registry', registryOptions[0].value);
  }, [open, registryOptions, form]);

  async function submit(v: Values) {
    setBusy(true);
    setFormError(null);
    const [regNs, regName] = v.registry.split('/') as [string, string];
    const spec: RepositorySpec = {
      repository: v.repository.trim(),
      tag: v.tag.trim(),
      registryRef: { name: regName, namespace: regNs },
      ...(v.syncInterval?.trim() ? { syncInterval: v.syncInterval.trim() } : {}),
      ...(v.syncTimeout?.trim() ? { syncTimeout: v.syncTimeout.trim() } : {}),
      ...(typeof v.retryCount === 'number' ? { retryCount: v.retryCount } : {}),
    };
    if (v.mirrorRegistry) {
      const [mNs, mName] = v.mirrorRegistry.split('/') as [string, string];
      spec.mirror = { registryRef: { name: mName, namespace: mNs }, ...(v.mirrorPath?.trim() ? { repository: v.mirrorPath.trim() } : {}), ...(v.mirrorTag?.trim() ? { tag: v.mirrorTag.trim() } : {}) };
    }
    const annotations: Record<string, string> = {};
    if (v.displayName?.trim()) annotations[DISPLAY_NAME_ANNOTATION] = v.displayName.trim();
    if (v.description?.trim()) annotations[DESCRIPTION_ANNOTATION] = v.description.trim();
    const body = {
      apiVersion: API_VERSION,
      kind: 'Repository',
      metadata: { name: v.name.trim(), namespace: v.namespace.trim(), ...(Object.keys(annotations).length ? { annotations } : {}) },
      spec,
    };
    try {
      const created = await request<Repository>(nsPath(v.namespace.trim(), 'repositories'), { method: 'POST', body });
      onCreated(created);
    } catch (err) {
      if (err instanceof ApiError) {
        const fields: { name: keyof Values; errors: string[] }[] = [];
        const loose: string[] = [];
        for (const c of err.causes) {
          const f = fieldFor(c.field);
          if (f) {
            const existing = fields.find((x) => x.name === f);
            if (existing) existing.errors.push(c.message);
            else fields.push({ name: f, errors: [c.message] });
          } else loose.push(c.field ? `${c.field}: ${c.message}` : c.message);
        }
        if (err.status?.reason === 'AlreadyExists') fields.push({ name: 'name', errors: [err.message] });
        if (fields.length) {
          form.setFields(fields);
          if (fields.some((f) => ADVANCED.includes(f.name))) setAdvancedOpen(['advanced']);
        }
        if (loose.length || !fields.length) setFormError(loose.length ? loose : [err.message]);
      } else setFormError([String(err)]);
    } finally {
      setBusy(false);
    }
  }

  const registryMissing = registries.isSuccess && registryOptions.length === 0;

  return (
    <Drawer
      open={open}
      onClose={onClose}
      title={t('repo.add')}
      size={560}
      destroyOnHidden
      extra={
        <Space>
          <Button onClick={onClose}>{t('common.cancel')}</Button>
          <Button type="primary" loading={busy} onClick={() => form.submit()} data-testid="repo-submit">
            {t('common.ok')}
          </Button>
        </Space>
      }
    >
      {registryMissing && <Alert type="warning" showIcon title={t('repo.emptyNoRegistry')} style={{ marginBottom: 16 }} />}
      {formError && <Alert type="error" showIcon title={t('form.err.server', { msg: '' })} description={<ul style={{ margin: 0, paddingLeft: 18 }}>{formError.map((m) => <li key={m}>{m}</li>)}</ul>} style={{ marginBottom: 16 }} data-testid="form-error" />}
      <Form form={form} layout="vertical" onFinish={submit} requiredMark name="repo">
        <Form.Item name="name" label={t('form.name')} extra={t('form.nameHelp')} rules={[{ required: true, message: t('common.required') }, { validator: (_, v: string) => (!v || isName(v.trim()) ? Promise.resolve() : Promise.reject(new Error(t('form.err.dns1123')))) }]}>
          <Input placeholder="nginx-latest" autoComplete="off" />
        </Form.Item>
        <Form.Item name="displayName" label={t('form.displayName')}>
          <Input placeholder={t('form.displayNamePlaceholder')} />
        </Form.Item>
        <Form.Item name="namespace" label={t('form.namespace')} extra={t('form.namespaceHelp')} rules={[{ required: true, message: t('common.required') }, { validator: (_, v: string) => (!v || isNamespace(v.trim()) ? Promise.resolve() : Promise.reject(new Error(t('form.err.dns1123label')))) }]}>
          <AutoComplete options={(namespaces.data ?? []).map((n) => ({ value: n }))} placeholder="default" filterOption={(input, opt) => String(opt?.value ?? '').includes(input)} />
        </Form.Item>
        <Form.Item name="description" label={t('form.description')}>
          <Input.TextArea rows={2} placeholder={t('form.descriptionPlaceholder')} />
        </Form.Item>
        <Form.Item name="registry" label={t('form.registry')} rules={[{ required: true, message: t('common.required') }]}>
          <Select options={registryOptions} placeholder={t('form.registryPlaceholder')} loading={registries.isLoading} showSearch={{ optionFilterProp: 'label' }} notFoundContent={t('form.registryNone')} />
        </Form.Item>
        <Form.Item name="repository" label={t('form.repository')} extra={t('form.repositoryHelp')} rules={[{ required: true, message: t('common.required') }, { validator: (_, v: string) => (!v || REPOSITORY_PATH.test(v.trim()) ? Promise.resolve() : Promise.reject(new Error(t('form.err.path')))) }]}>
          <Input placeholder="library/nginx" autoComplete="off" />
        </Form.Item>
        <Form.Item name="tag" label={t('form.tag')} rules={[{ required: true, message: t('common.required') }, { validator: (_, v: string) => (!v || TAG.test(v.trim()) ? Promise.resolve() : Promise.reject(new Error(t('form.err.tag')))) }]}>
          <Input placeholder="latest" autoComplete="off" />
        </Form.Item>
        <Form.Item name="syncInterval" label={t('form.syncInterval')} extra={t('form.syncIntervalHelp')} rules={[{ validator: (_, v: string) => (!v || isDuration(v.trim(), 10_000) ? Promise.resolve() : Promise.reject(new Error(t('form.err.duration', { min: '10s' })))) }]}>
          <Input placeholder="1h" autoComplete="off" />
        </Form.Item>
        <Collapse
          activeKey={advancedOpen}
          onChange={(k) => setAdvancedOpen(Array.isArray(k) ? k : [k])}
          items={[
            {
              key: 'advanced',
              label: t('form.advanced'),
              forceRender: true,
              children: (
                <>
                  <Form.Item name="syncTimeout" label={t('form.syncTimeout')} extra={t('form.syncTimeoutHelp')} rules={[{ validator: (_, v: string) => (!v || isDuration(v.trim(), 1000) ? Promise.resolve() : Promise.reject(new Error(t('form.err.duration', { min: '1s' })))) }]}>
                    <Input placeholder="10m" autoComplete="off" />
                  </Form.Item>
                  <Form.Item name="retryCount" label={t('form.retryCount')} extra={t('form.retryCountHelp')}>
                    <InputNumber min={0} max={10} precision={0} placeholder="3" style={{ width: '100%' }} />
                  </Form.Item>
                  <Form.Item name="mirrorRegistry" label={t('form.mirrorRegistry')} extra={t('form.mirrorRegistryHelp')}>
                    <Select allowClear options={registryOptions} placeholder={t('form.noMirror')} />
                  </Form.Item>
                  <Form.Item name="mirrorPath" label={t('form.mirrorPath')} extra={t('form.mirrorPathHelp')} rules={[{ validator: (_, v: string) => (!v || REPOSITORY_PATH.test(v.trim()) ? Promise.resolve() : Promise.reject(new Error(t('form.err.path')))) }]}>
                    <Input placeholder="mirror/nginx" autoComplete="off" />
                  </Form.Item>
                  <Form.Item name="mirrorTag" label={t('form.mirrorTag')} rules={[{ validator: (_, v: string) => (!v || TAG.test(v.trim()) ? Promise.resolve() : Promise.reject(new Error(t('form.err.tag')))) }]}>
                    <Input autoComplete="off" />
                  </Form.Item>
                </>
              ),
            },
          ]}
        />
      </Form>
    </Drawer>
  );
}
