import { useEffect, useEffectEvent, useMemo, useState } from 'react';
import { Alert, AutoComplete, Button, Collapse, Drawer, Form, Input, InputNumber, Select, Space } from 'antd';
import type { RepositorySpec } from '../../../../src/api/types.ts';
import type { Repository } from '../../api/client.ts';
import { createRepository } from '../../api/repositories.ts';
import { rules } from '../../forms/rules.ts';
import { serverErrors, type CauseFields } from '../../forms/serverErrors.ts';
import { DESCRIPTION_ANNOTATION, DISPLAY_NAME_ANNOTATION, registryHost } from '../../format.ts';
import { useNamespaces } from '../../hooks/useNamespaces.ts';
import { useRegistries } from '../../hooks/useRegistries.ts';
import { useErrorText } from '../../components/ErrorText.tsx';
import { useGuardedClose } from '../../forms/useGuardedClose.ts';
import { useI18n } from '../../i18n.tsx';

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
const CAUSE_FIELDS: CauseFields<keyof Values> = [
  ['metadata.name', 'name'],
  [/^metadata\.namespace/, 'namespace'],
  [(p) => p.includes(DISPLAY_NAME_ANNOTATION), 'displayName'],
  [(p) => p.includes(DESCRIPTION_ANNOTATION), 'description'],
  [/^spec\.mirror\.registryRef/, 'mirrorRegistry'],
  ['spec.mirror.repository', 'mirrorPath'],
  ['spec.mirror.tag', 'mirrorTag'],
  [/^spec\.mirror/, 'mirrorRegistry'],
  [/^spec\.registryRef/, 'registry'],
  ['spec.repository', 'repository'],
  ['spec.tag', 'tag'],
  ['spec.syncInterval', 'syncInterval'],
  ['spec.syncTimeout', 'syncTimeout'],
  ['spec.retryCount', 'retryCount'],
];

/** Fields under 高级设置: an error in one opens the section. */
const ADVANCED: (keyof Values)[] = ['syncTimeout', 'retryCount', 'mirrorRegistry', 'mirrorPath', 'mirrorTag'];

/** 「添加镜像」: the create panel with the seed's fields and advanced settings. */
export function RepositoryDrawer({ open, defaultNamespace, onClose, onCreated }: { open: boolean; defaultNamespace: string | undefined; onClose: () => void; onCreated: (r: Repository) => void }) {
  const { t } = useI18n();
  const errorText = useErrorText();
  const [form] = Form.useForm<Values>();
  const guardedClose = useGuardedClose(form, onClose);
  const registries = useRegistries();
  const namespaces = useNamespaces();
  const [busy, setBusy] = useState(false);
  const [formError, setFormError] = useState<string[] | null>(null);
  const [advancedOpen, setAdvancedOpen] = useState<string[]>([]);
  const ns = Form.useWatch('namespace', form);

  // Every opening starts afresh: no error, advanced settings folded, the form
  // store (which outlives the drawer's content) reset to the defaults.
  const [wasOpen, setWasOpen] = useState(open);
  if (open !== wasOpen) {
    setWasOpen(open);
    if (open) {
      setFormError(null);
      setAdvancedOpen([]);
    }
  }
  const resetForm = useEffectEvent(() => {
    form.resetFields();
    form.setFieldsValue({ namespace: defaultNamespace ?? namespaces.data?.[0] ?? 'default', tag: 'latest', syncInterval: '1h', registry: undefined });
  });
  useEffect(() => {
    if (open) resetForm();
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
    try {
      onCreated(await createRepository({ name: v.name.trim(), namespace: v.namespace.trim(), ...(Object.keys(annotations).length ? { annotations } : {}) }, spec));
    } catch (err) {
      const { fields, loose } = serverErrors(err, CAUSE_FIELDS, 'name', (e) => errorText(e, { kind: 'Repository', name: `${v.namespace.trim()}/${v.name.trim()}` }).text);
      if (fields.length) {
        form.setFields(fields);
        if (fields.some((f) => ADVANCED.includes(f.name))) setAdvancedOpen(['advanced']);
      }
      if (loose.length) setFormError(loose);
    } finally {
      setBusy(false);
    }
  }

  const registryMissing = registries.isSuccess && registryOptions.length === 0;

  return (
    <Drawer
      open={open}
      onClose={guardedClose}
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
        <Form.Item name="name" label={t('form.name')} extra={t('form.nameHelp')} rules={[rules.required(t), rules.name(t)]}>
          <Input placeholder="nginx-latest" autoComplete="off" />
        </Form.Item>
        <Form.Item name="displayName" label={t('form.displayName')}>
          <Input placeholder={t('form.displayNamePlaceholder')} />
        </Form.Item>
        <Form.Item name="namespace" label={t('form.namespace')} extra={t('form.namespaceHelp')} rules={[rules.required(t), rules.namespace(t)]}>
          <AutoComplete options={(namespaces.data ?? []).map((n) => ({ value: n }))} placeholder="default" filterOption={(input, opt) => String(opt?.value ?? '').includes(input)} />
        </Form.Item>
        <Form.Item name="description" label={t('form.description')}>
          <Input.TextArea rows={2} placeholder={t('form.descriptionPlaceholder')} />
        </Form.Item>
        <Form.Item name="registry" label={t('form.registry')} rules={[rules.required(t)]}>
          <Select options={registryOptions} placeholder={t('form.registryPlaceholder')} loading={registries.isLoading} showSearch={{ optionFilterProp: 'label' }} notFoundContent={t('form.registryNone')} />
        </Form.Item>
        <Form.Item name="repository" label={t('form.repository')} extra={t('form.repositoryHelp')} rules={[rules.required(t), rules.path(t)]}>
          <Input placeholder="library/nginx" autoComplete="off" />
        </Form.Item>
        <Form.Item name="tag" label={t('form.tag')} rules={[rules.required(t), rules.tag(t)]}>
          <Input placeholder="latest" autoComplete="off" />
        </Form.Item>
        <Form.Item name="syncInterval" label={t('form.syncInterval')} extra={t('form.syncIntervalHelp')} rules={[rules.duration(t, '10s', 10_000)]}>
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
                  <Form.Item name="syncTimeout" label={t('form.syncTimeout')} extra={t('form.syncTimeoutHelp')} rules={[rules.duration(t, '1s', 1000)]}>
                    <Input placeholder="10m" autoComplete="off" />
                  </Form.Item>
                  <Form.Item name="retryCount" label={t('form.retryCount')} extra={t('form.retryCountHelp')}>
                    <InputNumber min={0} max={10} precision={0} placeholder="3" style={{ width: '100%' }} />
                  </Form.Item>
                  <Form.Item name="mirrorRegistry" label={t('form.mirrorRegistry')} extra={t('form.mirrorRegistryHelp')}>
                    <Select allowClear options={registryOptions} placeholder={t('form.noMirror')} />
                  </Form.Item>
                  <Form.Item name="mirrorPath" label={t('form.mirrorPath')} extra={t('form.mirrorPathHelp')} rules={[rules.path(t)]}>
                    <Input placeholder="mirror/nginx" autoComplete="off" />
                  </Form.Item>
                  <Form.Item name="mirrorTag" label={t('form.mirrorTag')} rules={[rules.tag(t)]}>
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
