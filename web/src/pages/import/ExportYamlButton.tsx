/**
 * 导出 YAML in the repository list's toolbar: the selected Repositories (and
 * the Registries they use, never their secrets) as one YAML file that 批量添加
 * and `tug apply` take back; with nothing selected, the whole namespace, after
 * a confirmation naming it. The file is made in the browser from the API's
 * answers (GET /namespaces/{ns}/export).
 */
import { App, Button, Popconfirm, Tooltip } from 'antd';
import { ExportOutlined } from '@ant-design/icons';
import type { Repository } from '../../api/client.ts';
import { ErrorText } from '../../components/ErrorText.tsx';
import { useExportYaml } from '../../hooks/useImport.ts';
import { useI18n } from '../../i18n.tsx';

/** Long enough for the browser to have taken the file. */
const REVOKE_AFTER_MS = 60_000;

function saveFile(text: string, fileName: string): void {
  const url = URL.createObjectURL(new Blob([text], { type: 'application/yaml' }));
  const a = document.createElement('a');
  a.href = url;
  a.download = fileName;
  document.body.append(a);
  a.click();
  a.remove();
  window.setTimeout(() => URL.revokeObjectURL(url), REVOKE_AFTER_MS);
}

export function ExportYamlButton({ namespace, selected }: { namespace: string | undefined; selected: readonly Repository[] }) {
  const { t } = useI18n();
  const { message } = App.useApp();
  const exportYaml = useExportYaml();

  const run = (what: { namespace: string; names?: string[] }[]) => {
    const fileName = what.length === 1 ? `tugboat-${what[0]!.namespace}.yaml` : 'tugboat-export.yaml';
    exportYaml.mutate(what, {
      onSuccess: (text) => {
        saveFile(text, fileName);
        message.success(t('export.done', { file: fileName }));
      },
      onError: (err) => message.error(<ErrorText err={err} />),
    });
  };

  if (selected.length > 0) {
    const byNamespace = new Map<string, string[]>();
    for (const r of selected) byNamespace.set(r.metadata.namespace, [...(byNamespace.get(r.metadata.namespace) ?? []), r.metadata.name]);
    return (
      <Button icon={<ExportOutlined />} loading={exportYaml.isPending} onClick={() => run([...byNamespace].map(([ns, names]) => ({ namespace: ns, names })))} data-testid="export-yaml">
        {t('export.selected', { n: selected.length })}
      </Button>
    );
  }
  if (!namespace) {
    return (
      <Tooltip title={t('export.needNamespace')}>
        <Button icon={<ExportOutlined />} disabled data-testid="export-yaml">
          {t('export.button')}
        </Button>
      </Tooltip>
    );
  }
  return (
    <Popconfirm
      title={t('export.wholeTitle', { ns: namespace })}
      description={t('export.wholeBody')}
      okText={t('export.button')}
      cancelText={t('common.cancel')}
      okButtonProps={{ 'data-testid': 'export-whole-confirm' } as never}
      onConfirm={() => run([{ namespace }])}
    >
      <Button icon={<ExportOutlined />} loading={exportYaml.isPending} data-testid="export-yaml">
        {t('export.button')}
      </Button>
    </Popconfirm>
  );
}
