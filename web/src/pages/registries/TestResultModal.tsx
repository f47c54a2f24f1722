import { Alert, Button, Descriptions, Modal, Space } from 'antd';
import { CheckCircleFilled, CloseCircleFilled } from '@ant-design/icons';
import type { Registry } from '../../api/client.ts';
import type { RegistryTestResult } from '../../api/registries.ts';
import { useI18n } from '../../i18n.tsx';

function yesNo(v: boolean | undefined, yes: string, no: string) {
  return v ? (
    <Space><CheckCircleFilled style={{ color: '#52c41a' }} />{yes}</Space>
  ) : (
    <Space><CloseCircleFilled style={{ color: '#ff4d4f' }} />{no}</Space>
  );
}

/** 连接测试结果: what 测试连接 found (null: closed). */
export function TestResultModal({ result, onClose }: { result: { registry: Registry; result: RegistryTestResult } | null; onClose: () => void }) {
  const { t } = useI18n();
  const ok = result?.result.reachable && result.result.authenticated;
  return (
    <Modal open={result !== null} title={result ? t('reg.testResult', { name: result.registry.metadata.name }) : ''} onCancel={onClose} destroyOnHidden footer={<Button type="primary" onClick={onClose} data-testid="close-result">{t('common.close')}</Button>}>
      {result && (
        <div data-testid="test-result">
          <Alert type={ok ? 'success' : 'error'} showIcon title={ok ? t('reg.testOk') : t('reg.testFail')} description={result.result.message} style={{ marginBottom: 12 }} />
          <Descriptions size="small" column={1} bordered>
            <Descriptions.Item label={t('reg.url')}>{result.registry.spec.url}</Descriptions.Item>
            <Descriptions.Item label={t('reg.reachable')}>{yesNo(result.result.reachable, t('reg.reachable'), t('reg.unreachable'))}</Descriptions.Item>
            <Descriptions.Item label={t('reg.authenticated')}>{yesNo(result.result.authenticated, t('reg.authenticated'), t('reg.notAuthenticated'))}</Descriptions.Item>
          </Descriptions>
        </div>
      )}
    </Modal>
  );
}
