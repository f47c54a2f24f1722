/**
 * A new token or webhook secret, shown this once: a copy button, a warning
 * that it will not be shown again, and a confirmation before any way of
 * closing (✕, Esc, the button) throws it away. The value lives only in the
 * caller's state, which `onClose` clears; `destroyOnHidden` takes it out of
 * the page too.
 */
import { Alert, App, Button, type ButtonProps, Modal, Typography } from 'antd';
import { useI18n } from '../../i18n.tsx';

export interface ShownOnce {
  title: string;
  label: string;
  warning: string;
  value: string;
}

export function SecretOnceModal({ shown, onClose }: { shown: ShownOnce | null; onClose: () => void }) {
  const { t } = useI18n();
  const { modal } = App.useApp();
  const askThenClose = () =>
    modal.confirm({
      title: t('admin.once.closeTitle'),
      content: t('admin.once.closeBody'),
      okText: t('admin.once.closeOk'),
      okButtonProps: { 'data-testid': 'once-close-confirm' } as ButtonProps,
      cancelText: t('admin.once.keep'),
      onOk: onClose,
    });
  return (
    <Modal
      open={shown !== null}
      title={shown?.title}
      maskClosable={false}
      destroyOnHidden
      onCancel={askThenClose}
      footer={<Button type="primary" onClick={askThenClose} data-testid="once-done">{t('admin.once.done')}</Button>}
    >
      {shown && (
        <>
          <Alert type="warning" showIcon title={shown.warning} style={{ marginBottom: 12 }} />
          <Typography.Paragraph strong>{shown.label}</Typography.Paragraph>
          <Typography.Paragraph className="mono" data-testid="once-value" copyable={{ text: shown.value, tooltips: [t('admin.copyTip'), t('admin.copiedTip')] }} style={{ wordBreak: 'break-all' }}>
            {shown.value}
          </Typography.Paragraph>
        </>
      )}
    </Modal>
  );
}
