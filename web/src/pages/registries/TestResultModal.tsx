import { Alert, Button, Descriptions, Modal, Space, Tooltip, Typography } from 'antd';
import { CheckCircleFilled, CloseCircleFilled, InfoCircleOutlined, MinusCircleFilled } from '@ant-design/icons';
import type { Registry } from '../../api/client.ts';
import type { RegistryTestResult } from '../../api/registries.ts';
import { type MessageKey, useI18n } from '../../i18n.tsx';

type Outcome = 'ok' | 'anonymous' | 'authFailed' | 'unreachable';

/**
 * What the check found, in one word the modal and its wording follow
 * (issue 16: an open registry read "认证成功 ✓" while the message said no
 * authentication happened).
 */
function outcomeOf(r: RegistryTestResult): Outcome {
  if (!r.reachable) return 'unreachable';
  if (!r.authenticated) return 'authFailed';
  return r.anonymous ? 'anonymous' : 'ok';
}

const TITLE: Record<Outcome, MessageKey> = { ok: 'reg.testOk', anonymous: 'reg.testOkAnonymous', authFailed: 'reg.testFail', unreachable: 'reg.testFail' };
const SUMMARY: Record<Outcome, MessageKey> = { ok: 'reg.testSummaryOk', anonymous: 'reg.testSummaryAnonymous', authFailed: 'reg.testSummaryAuthFailed', unreachable: 'reg.testSummaryUnreachable' };

function mark(kind: 'yes' | 'no' | 'neutral', text: string) {
  const icon = kind === 'yes' ? <CheckCircleFilled style={{ color: '#52c41a' }} /> : kind === 'no' ? <CloseCircleFilled style={{ color: '#ff4d4f' }} /> : <MinusCircleFilled style={{ color: '#bfbfbf' }} />;
  return <Space>{icon}{text}</Space>;
}

/** 连接测试结果: what 测试连接 found (null: closed), in the user's language; the server's own message on hover. */
export function TestResultModal({ result, onClose }: { result: { registry: Registry; result: RegistryTestResult } | null; onClose: () => void }) {
  const { t } = useI18n();
  const outcome = result ? outcomeOf(result.result) : 'unreachable';
  const good = outcome === 'ok' || outcome === 'anonymous';
  return (
    <Modal open={result !== null} title={result ? t('reg.testResult', { name: result.registry.metadata.name }) : ''} onCancel={onClose} destroyOnHidden footer={<Button type="primary" onClick={onClose} data-testid="close-result">{t('common.close')}</Button>}>
      {result && (
        <div data-testid="test-result" data-outcome={outcome}>
          <Alert
            type={good ? 'success' : 'error'}
            showIcon
            title={t(TITLE[outcome])}
            description={
              <>
                {t(SUMMARY[outcome])}
                {result.result.message && (
                  <Tooltip title={result.result.message}>
                    <Typography.Text type="secondary" style={{ marginLeft: 8, cursor: 'help' }} data-testid="test-detail"><InfoCircleOutlined /> {t('common.details')}</Typography.Text>
                  </Tooltip>
                )}
              </>
            }
            style={{ marginBottom: 12 }}
          />
          <Descriptions size="small" column={1} bordered styles={{ label: { whiteSpace: 'nowrap', width: 120 } }}>
            <Descriptions.Item label={t('reg.url')}>{result.registry.spec.url}</Descriptions.Item>
            <Descriptions.Item label={t('reg.reachability')}>{outcome === 'unreachable' ? mark('no', t('reg.unreachable')) : mark('yes', t('reg.reachable'))}</Descriptions.Item>
            <Descriptions.Item label={t('reg.authentication')}>
              {outcome === 'unreachable'
                ? mark('neutral', t('reg.authNotChecked'))
                : outcome === 'anonymous'
                  ? mark('neutral', t('reg.anonymousAccess'))
                  : outcome === 'ok'
                    ? mark('yes', t('reg.authenticated'))
                    : mark('no', t('reg.notAuthenticated'))}
            </Descriptions.Item>
          </Descriptions>
        </div>
      )}
    </Modal>
  );
}
