import { Alert, Descriptions, Drawer, Empty, Skeleton, Tag, Typography } from 'antd';
import type { Repository, SyncRun } from '../../api/client.ts';
import { formatBytes, formatTime } from '../../format.ts';
import { useSyncRunLog } from '../../hooks/useSyncRuns.ts';
import { ErrorText } from '../../components/ErrorText.tsx';
import { useI18n } from '../../i18n.tsx';
import { PHASE_COLOR } from './runPhase.ts';

/** One run's summary and log lines (polled while it runs). */
export function RunLogDrawer({ repo, run, onClose }: { repo: Repository; run: SyncRun | null; onClose: () => void }) {
  const { t } = useI18n();
  const log = useSyncRunLog(repo, run);
  return (
    <Drawer open={run !== null} onClose={onClose} size={720} title={run ? t('run.log', { name: run.metadata.name }) : ''}>
      {run && (
        <Descriptions size="small" column={2} style={{ marginBottom: 12 }}>
          <Descriptions.Item label={t('run.result')}><Tag color={PHASE_COLOR[run.status.phase]}>{t(`run.phase.${run.status.phase}`)}</Tag></Descriptions.Item>
          <Descriptions.Item label={t('run.trigger')}>{t(`run.trigger.${run.spec.trigger}`)}</Descriptions.Item>
          <Descriptions.Item label={t('run.start')}>{formatTime(run.status.startTime)}</Descriptions.Item>
          <Descriptions.Item label={t('run.bytes')}>{formatBytes(run.status.bytesMoved)}</Descriptions.Item>
          {run.status.digestAfter && <Descriptions.Item label={t('detail.digest')} span={2}><span className="mono">{run.status.digestAfter}</span></Descriptions.Item>}
          {run.status.error && <Descriptions.Item label={t('detail.message')} span={2}><Typography.Text type="danger">{run.status.error}</Typography.Text></Descriptions.Item>}
        </Descriptions>
      )}
      {log.isLoading ? (
        <Skeleton active />
      ) : log.isError ? (
        <Alert type="error" showIcon title={<ErrorText err={log.error} prefix={t('common.loadFailed')} />} />
      ) : !log.data || log.data.lines.length === 0 ? (
        <Empty description={t('run.logEmpty')} />
      ) : (
        <div className="log-view" data-testid="run-log" role="log">
          {log.data.lines.map((l, i) => (
            <div key={i} className={l.level}>
              <span className="time">{formatTime(l.time)}</span>
              {l.level !== 'info' && <strong>{l.level.toUpperCase()} </strong>}
              {l.message}
            </div>
          ))}
        </div>
      )}
    </Drawer>
  );
}
