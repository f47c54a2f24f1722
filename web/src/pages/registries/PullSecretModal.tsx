import { useState } from 'react';
import { Alert, Button, Form, Input, Modal, Space, Typography } from 'antd';
import { useQuery } from '@tanstack/react-query';
import type { Registry } from '../../api/client.ts';
import { registryPullSecret } from '../../api/registries.ts';
import { keys } from '../../hooks/queryKeys.ts';
import { useDebounced } from '../../hooks/useDebounced.ts';
import { useI18n } from '../../i18n.tsx';

/**
 * 拉取凭证: the commands a registry's users run to create their own image
 * pull Secret in a cluster. The server answers only the host and user name;
 * each user supplies their own password as $PASSWORD (null: closed).
 */
export function PullSecretModal({ registry, onClose }: { registry: Registry | null; onClose: () => void }) {
  const { t } = useI18n();
  return (
    <Modal open={registry !== null} title={registry ? t('reg.pullSecretTitle', { name: registry.metadata.name }) : ''} onCancel={onClose} destroyOnHidden width={760} footer={<Button type="primary" onClick={onClose} data-testid="close-pull-secret">{t('common.close')}</Button>}>
      {registry && <PullSecretCommands registry={registry} />}
    </Modal>
  );
}

function PullSecretCommands({ registry }: { registry: Registry }) {
  const { t } = useI18n();
  const [secretName, setSecretName] = useState(registry.metadata.name);
  const [kubeNamespace, setKubeNamespace] = useState('default');
  const name = useDebounced(secretName.trim(), 300);
  const ns = useDebounced(kubeNamespace.trim(), 300);
  const answer = useQuery({
    queryKey: keys.pullSecret(registry.metadata.namespace, registry.metadata.name, name, ns),
    queryFn: ({ signal }) => registryPullSecret(registry, { secretName: name, kubeNamespace: ns }, signal),
    retry: false,
    placeholderData: (previous) => previous,
  });
  const copyable = (text: string) => ({ text, tooltips: [t('common.copy'), t('common.copied')] });
  return (
    <div data-testid="pull-secret">
      <Form layout="inline" style={{ marginBottom: 12 }}>
        <Form.Item label={t('reg.secretName')}>
          <Input value={secretName} onChange={(e) => setSecretName(e.target.value)} aria-label={t('reg.secretName')} style={{ width: 200 }} />
        </Form.Item>
        <Form.Item label={t('reg.kubeNamespace')}>
          <Input value={kubeNamespace} onChange={(e) => setKubeNamespace(e.target.value)} aria-label={t('reg.kubeNamespace')} style={{ width: 180 }} />
        </Form.Item>
      </Form>
      {answer.isError ? (
        <Alert type="error" showIcon title={answer.error.message} />
      ) : answer.data ? (
        <Space orientation="vertical" size={12} style={{ width: '100%' }}>
          <Typography.Text type="secondary">{t('reg.pullSecretHelp', { server: answer.data.server, user: answer.data.username ?? '$USERNAME' })}</Typography.Text>
          <div>
            <Typography.Text strong>{t('reg.pullSecretTug')}</Typography.Text>
            <Typography.Paragraph code copyable={copyable(answer.data.commands.tug)} data-testid="pull-secret-tug" style={{ marginBottom: 0 }}>{answer.data.commands.tug}</Typography.Paragraph>
          </div>
          <div>
            <Typography.Text strong>{t('reg.pullSecretKubectl')}</Typography.Text>
            <Typography.Paragraph code copyable={copyable(answer.data.commands.kubectl)} data-testid="pull-secret-kubectl" style={{ marginBottom: 0 }}>{answer.data.commands.kubectl}</Typography.Paragraph>
          </div>
        </Space>
      ) : (
        <Typography.Text type="secondary">{t('common.loading')}</Typography.Text>
      )}
    </div>
  );
}
