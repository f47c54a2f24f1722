import { Button, Space, Spin } from 'antd';
import { useI18n } from '../../i18n.tsx';

/** 已加载 N / 共 M 条, then 正在加载更多… / 加载更多 / 已全部加载. */
export function RepositoryListFooter({ ref, loaded, total, fetching, hasMore, onLoadMore }: { ref?: React.Ref<HTMLDivElement>; loaded: number; total: number; fetching: boolean; hasMore: boolean; onLoadMore: () => void }) {
  const { t } = useI18n();
  return (
    <div ref={ref} className="list-footer" data-testid="list-footer" aria-live="polite">
      <Space size="large">
        <span data-testid="loaded-count">{t('repo.loaded', { n: loaded, total: Math.max(total, loaded) })}</span>
        {fetching ? (
          <Space><Spin size="small" />{t('repo.loadingMore')}</Space>
        ) : hasMore ? (
          <Button size="small" onClick={onLoadMore}>{t('repo.loadMore')}</Button>
        ) : (
          <span data-testid="all-loaded">{t('repo.allLoaded')}</span>
        )}
      </Space>
    </div>
  );
}
