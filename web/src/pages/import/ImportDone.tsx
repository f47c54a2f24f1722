/** What a batch add ends with: how many were created, and the list filtered to their namespace. */
import { Button, Result } from 'antd';
import { useNavigate } from 'react-router';
import type { ImportResult } from '../../api/imports.ts';
import { useI18n } from '../../i18n.tsx';
import { paths } from '../../paths.ts';

export function ImportDone({ result, onAgain }: { result: ImportResult; onAgain: () => void }) {
  const { t } = useI18n();
  const navigate = useNavigate();
  const ns = result.metadata.namespace;
  return (
    <div className="panel" data-testid="import-done">
      <Result
        status="success"
        title={t('import.created', { n: result.status.created })}
        subTitle={t('import.createdSub', { ns })}
        extra={[
          <Button key="list" type="primary" onClick={() => navigate(`${paths.repositories}?ns=${encodeURIComponent(ns)}`)} data-testid="import-view-list">
            {t('import.viewList', { ns })}
          </Button>,
          <Button key="again" onClick={onAgain}>
            {t('import.again')}
          </Button>,
        ]}
      />
    </div>
  );
}
