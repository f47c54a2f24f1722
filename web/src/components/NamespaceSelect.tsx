import { Select } from 'antd';
import { AppstoreOutlined } from '@ant-design/icons';
import { useNamespaces } from '../hooks/useNamespaces.ts';
import { useI18n } from '../i18n.tsx';

const ALL = '__all__';

/** The namespace selector at the top left; undefined = 「全部项目」. */
export function NamespaceSelect({ value, onChange }: { value: string | undefined; onChange: (ns: string | undefined) => void }) {
  const { t } = useI18n();
  const namespaces = useNamespaces();
  const options = [{ value: ALL, label: t('ns.all') }, ...(namespaces.data ?? []).map((n) => ({ value: n, label: n }))];
  if (value && !namespaces.data?.includes(value)) options.push({ value, label: value });
  return (
    <Select
      aria-label={t('ns.label')}
      data-testid="ns-select"
      style={{ minWidth: 180 }}
      prefix={<AppstoreOutlined />}
      value={value ?? ALL}
      onChange={(v: string) => onChange(v === ALL ? undefined : v)}
      options={options}
      loading={namespaces.isLoading}
      showSearch={{ optionFilterProp: 'label' }}
      popupMatchSelectWidth={false}
    />
  );
}
