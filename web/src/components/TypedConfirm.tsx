import { useState } from 'react';
import { Alert, Input, Modal, Typography, type ButtonProps } from 'antd';
import { useI18n } from '../i18n.tsx';

/** A destructive confirmation that needs `expected` typed before OK is enabled. */
export function TypedConfirm(props: {
  open: boolean;
  title: string;
  warning: string;
  prompt: string;
  expected: string;
  onConfirm: () => Promise<void>;
  onClose: () => void;
}) {
  const { t } = useI18n();
  const [value, setValue] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  // Every opening starts empty.
  const [wasOpen, setWasOpen] = useState(props.open);
  if (props.open !== wasOpen) {
    setWasOpen(props.open);
    if (props.open) {
      setValue('');
      setError(null);
    }
  }
  return (
    <Modal
      open={props.open}
      title={props.title}
      okText={t('common.delete')}
      cancelText={t('common.cancel')}
      okButtonProps={{ danger: true, disabled: value.trim() !== props.expected, loading: busy, 'data-testid': 'confirm-delete' } as ButtonProps}
      onCancel={props.onClose}
      destroyOnHidden
      onOk={async () => {
        setBusy(true);
        setError(null);
        try {
          await props.onConfirm();
          props.onClose();
        } catch (err) {
          setError((err as Error).message);
        } finally {
          setBusy(false);
        }
      }}
    >
      <Alert type="warning" showIcon title={props.warning} style={{ marginBottom: 12 }} />
      <Typography.Paragraph>
        <label htmlFor="typed-confirm">{props.prompt}</label>
      </Typography.Paragraph>
      <Input id="typed-confirm" value={value} onChange={(e) => setValue(e.target.value)} autoFocus aria-label={props.prompt} placeholder={props.expected} autoComplete="off" />
      {error && <Alert type="error" showIcon title={error} style={{ marginTop: 12 }} />}
    </Modal>
  );
}
