import { Button, Empty } from 'antd';
import { PlusOutlined, ReloadOutlined } from '@ant-design/icons';
import { useNavigate } from 'react-router';
import { ErrorText } from '../../components/ErrorText.tsx';
import { useI18n } from '../../i18n.tsx';
import { paths } from '../../paths.ts';

/** What an empty list says: why it is empty, and the one step that fills it. */
export function RepositoryListEmpty({ error, q, filtered, onClearFilters, noRegistries, canWrite, onRetry, onAdd }: { error: Error | null; q: string; filtered: boolean; onClearFilters: () => void; noRegistries: boolean; canWrite: boolean; onRetry: () => void; onAdd: () => void }) {
  const { t } = useI18n();
  const navigate = useNavigate();
  if (error) {
    return (
      <Empty image={Empty.PRESENTED_IMAGE_SIMPLE} description={<ErrorText err={error} prefix={t('common.loadFailed')} />}>
        <Button icon={<ReloadOutlined />} onClick={onRetry}>{t('common.retry')}</Button>
      </Empty>
    );
  }
  if (q) return <Empty image={Empty.PRESENTED_IMAGE_SIMPLE} description={t('repo.emptySearch', { q })} />;
  if (filtered) {
    return (
      <Empty image={Empty.PRESENTED_IMAGE_SIMPLE} description={t('list.emptyFiltered')}>
        <Button onClick={onClearFilters}>{t('list.clearFilters')}</Button>
      </Empty>
    );
  }
  if (noRegistries) {
    return (
      <Empty image={Empty.PRESENTED_IMAGE_SIMPLE} description={t('repo.emptyNoRegistry')}>
        <Button type="primary" onClick={() => navigate(paths.registries)}>{t('repo.goRegistries')}</Button>
      </Empty>
    );
  }
  return (
    <Empty image={Empty.PRESENTED_IMAGE_SIMPLE} description={t('repo.empty')}>
      {canWrite && <Button type="primary" icon={<PlusOutlined />} onClick={onAdd}>{t('repo.add')}</Button>}
    </Empty>
  );
}
