import { useState } from 'react';
import { Alert, Button, Card, Empty, Form, InputNumber, Select, Space, Table, Tooltip, Typography } from 'antd';
import { DeleteOutlined } from '@ant-design/icons';
import { ApiError, type Repository } from '../../api/client.ts';
import { ConsoleError } from '../../api/errorText.ts';
import { applyRetention, type RetentionOrder, type RetentionResult } from '../../api/retention.ts';
import { ErrorText } from '../../components/ErrorText.tsx';
import { TypedConfirm } from '../../components/TypedConfirm.tsx';
import { shortDigest } from '../../format.ts';
import { type RetentionAsk, useRetentionPlan } from '../../hooks/useRetentionPlan.ts';
import { useCanWrite } from '../../hooks/useSession.ts';
import { useI18n } from '../../i18n.tsx';
import { retentionWhy } from './detailText.ts';

const digestCell = (d: string) => <Tooltip title={d}><span className="mono">{shortDigest(d)}</span></Tooltip>;

/**
 * 保留策略 (only with a mirror): keep the newest N versions of the mirror
 * repository. 生成清理计划 reads the plan (anyone may); 执行清理 applies
 * exactly that plan by its id after a typed confirmation (editors only). A
 * 409 means the mirror changed since: the plan is dropped and must be read
 * again, as the API requires.
 */
export function RetentionTab({ r }: { r: Repository }) {
  const { t } = useI18n();
  const canWrite = useCanWrite();
  const [keep, setKeep] = useState(5);
  const [by, setBy] = useState<RetentionOrder>('semver');
  const [ask, setAsk] = useState<RetentionAsk | null>(null);
  const [confirming, setConfirming] = useState(false);
  const [result, setResult] = useState<RetentionResult | null>(null);
  const [stale, setStale] = useState(false);
  const plan = useRetentionPlan(r, ask);
  const mirrorRepo = r.spec.mirror?.repository ?? r.spec.repository;
  const p = plan.data;
  const byLabel = (o: RetentionOrder) => t(o === 'semver' ? 'detail.ret.bySemver' : 'detail.ret.byCreated');

  function makePlan() {
    setResult(null);
    setStale(false);
    setAsk((a) => ({ keep, by, asked: (a?.asked ?? 0) + 1 }));
  }

  // A plan that cannot be made because a tag in the mirror is unreadable answers 409 too: say that, not "someone changed it".
  const planError = plan.error instanceof ApiError && plan.error.code === 409 ? new ConsoleError(t('detail.ret.unreadable'), plan.error.message) : plan.error;

  return (
    <Space orientation="vertical" style={{ width: '100%' }} data-testid="retention-tab">
      <Typography.Paragraph type="secondary">{t('detail.ret.help', { repo: mirrorRepo })}</Typography.Paragraph>
      <Form layout="inline" onFinish={makePlan}>
        <Form.Item label={t('detail.ret.keep')}>
          <InputNumber min={1} max={1000} precision={0} value={keep} onChange={(v) => setKeep(v ?? 1)} aria-label={t('detail.ret.keep')} data-testid="retention-keep" />
        </Form.Item>
        <Form.Item label={t('detail.ret.by')}>
          <Select<RetentionOrder>
            style={{ width: 180 }}
            value={by}
            onChange={setBy}
            aria-label={t('detail.ret.by')}
            options={(['semver', 'created'] as const).map((o) => ({ value: o, label: byLabel(o) }))}
          />
        </Form.Item>
        <Form.Item>
          <Button type="primary" htmlType="submit" loading={plan.isFetching} data-testid="retention-plan">{t('detail.ret.plan')}</Button>
        </Form.Item>
      </Form>
      {planError && <Alert type="error" showIcon title={<ErrorText err={planError} />} />}
      {stale && <Alert type="warning" showIcon title={t('detail.ret.changed')} data-testid="retention-stale" />}
      {p && !stale && (
        <Card
          size="small"
          title={t('detail.ret.planFor', { keep: p.spec.keep, by: byLabel(p.spec.by) })}
          data-testid="retention-planned"
          extra={canWrite && p.status.delete.length > 0 && !result ? (
            <Button danger icon={<DeleteOutlined />} onClick={() => setConfirming(true)} data-testid="retention-apply">{t('detail.ret.apply')}</Button>
          ) : null}
        >
          <Typography.Title level={5} style={{ marginTop: 0 }}>{t('detail.ret.toDelete', { n: p.status.delete.length })}</Typography.Title>
          <Table
            size="small"
            rowKey="tag"
            pagination={false}
            dataSource={p.status.delete}
            data-testid="retention-delete"
            locale={{ emptyText: <Empty image={Empty.PRESENTED_IMAGE_SIMPLE} description={t('detail.ret.nothing')} /> }}
            columns={[
              { title: t('detail.ret.col.tag'), key: 'tag', render: (_, x) => <Typography.Text type="danger" className="mono">{x.tag}</Typography.Text> },
              { title: t('detail.ret.col.digest'), key: 'digest', render: (_, x) => digestCell(x.digest) },
            ]}
          />
          <Typography.Title level={5} style={{ marginTop: 16 }}>{t('detail.ret.kept', { n: p.status.keep.length })}</Typography.Title>
          <Table
            size="small"
            rowKey="tag"
            pagination={false}
            dataSource={p.status.keep}
            data-testid="retention-keep-list"
            columns={[
              { title: t('detail.ret.col.tag'), key: 'tag', render: (_, x) => <span className="mono">{x.tag}</span> },
              { title: t('detail.ret.col.digest'), key: 'digest', render: (_, x) => digestCell(x.digest) },
              {
                title: t('detail.ret.col.why'),
                key: 'why',
                render: (_, x) => {
                  const w = retentionWhy(x.why, t);
                  return <span title={w.detail} data-testid="retention-why">{w.text}</span>;
                },
              },
            ]}
          />
        </Card>
      )}
      {result && (
        <Alert
          type={result.status.failed.length > 0 ? 'warning' : 'success'}
          showIcon
          data-testid="retention-result"
          title={t('detail.ret.result', { deleted: result.status.deleted.length, failed: result.status.failed.length })}
          description={
            <Space orientation="vertical" size={2}>
              {result.status.deleted.length > 0 && <span>{t('detail.ret.deleted')}: <span className="mono" data-testid="retention-deleted">{result.status.deleted.map((d) => d.tag).join(', ')}</span></span>}
              {result.status.failed.map((f) => (
                <span key={f.tag} title={f.error}>
                  {t('detail.ret.failed')}: <span className="mono">{f.tag}</span> — {t('detail.ret.failedWhy')}
                </span>
              ))}
            </Space>
          }
        />
      )}
      {p && (
        <TypedConfirm
          open={confirming}
          title={t('detail.ret.confirmTitle', { n: p.status.delete.length })}
          warning={t('detail.ret.confirmWarn')}
          prompt={t('detail.ret.confirmPrompt', { name: r.metadata.name })}
          expected={r.metadata.name}
          items={p.status.delete.map((d) => `${mirrorRepo}:${d.tag}`)}
          onClose={() => setConfirming(false)}
          onConfirm={async () => {
            try {
              setResult(await applyRetention(r, p));
            } catch (err) {
              if (err instanceof ApiError && err.code === 409) {
                setStale(true);
                throw new ConsoleError(t('detail.ret.changed'), err.message);
              }
              throw err;
            }
          }}
        />
      )}
    </Space>
  );
}
