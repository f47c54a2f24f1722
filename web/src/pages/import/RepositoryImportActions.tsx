/** The repository list's toolbar entries of this area: 批量添加 (editors) and 导出 YAML (everyone: the export is a read). */
import { Button } from 'antd';
import { ImportOutlined } from '@ant-design/icons';
import { useNavigate } from 'react-router';
import type { Repository } from '../../api/client.ts';
import { useCanWrite } from '../../hooks/useSession.ts';
import { useI18n } from '../../i18n.tsx';
import { paths } from '../../paths.ts';
import { ExportYamlButton } from './ExportYamlButton.tsx';

export function RepositoryImportActions({ namespace, selected }: { namespace: string | undefined; selected: readonly Repository[] }) {
  const { t } = useI18n();
  const navigate = useNavigate();
  const canWrite = useCanWrite();
  return (
    <>
      {canWrite && (
        <Button icon={<ImportOutlined />} onClick={() => navigate(`${paths.repositoriesImport}${namespace ? `?ns=${encodeURIComponent(namespace)}` : ''}`)} data-testid="open-import">
          {t('import.open')}
        </Button>
      )}
      <ExportYamlButton namespace={namespace} selected={selected} />
    </>
  );
}
