import { useState } from 'react';
import { Alert, Input, Modal, Typography, type ButtonProps } from 'antd';
import { useI18n } from '../i18n.tsx';
import { ErrorText } from './ErrorText.tsx';

/**
 * A destructive confirmation that needs `expected` typed before OK is
 * enabled (never shown as the placeholder: that would let it be copied
 * without reading), naming what goes (`items`, the first few).
 */
const ITEMS_SHOWN = 10;

export function TypedConfirm(props: {
  open: boolean;
  title: string;
  warning: string;
  prompt: string;
  expected: string;
  /** What will be deleted, by name: the first ITEMS_SHOWN are listed, then how many more. */
  items?: string[];
  onConfirm: () => Promise<void>;
  onClose: () => void;
}) {
  const { t } = useI18n();
  const [value, setValue] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
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
          setError(err);
        } finally {
          setBusy(false);
        }
      }}
    >
      <Alert type="warning" showIcon title={props.warning} style={{ marginBottom: 12 }} />
      {props.items && props.items.length > 0 && (
        <ul className="typed-confirm-items" data-testid="confirm-items">
          {props.items.slice(0, ITEMS_SHOWN).map((name) => <li key={name}><Typography.Text code>{name}</Typography.Text></li>)}
          {props.items.length > ITEMS_SHOWN && <li>{t('common.andMore', { n: props.items.length - ITEMS_SHOWN })}</li>}
        </ul>
      )}
      <Typography.Paragraph>
        <label htmlFor="typed-confirm">{props.prompt}</label>
      </Typography.Paragraph>
      <Input id="typed-confirm" value={value} onChange={(e) => setValue(e.target.value)} autoFocus aria-label={props.prompt} autoComplete="off" />
      {error !== null && <Alert type="error" showIcon title={<ErrorText err={error} />} style={{ marginTop: 12 }} />}
    </Modal>
  );
}
