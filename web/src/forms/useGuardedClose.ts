/**
 * Closing a form that holds unsaved input asks first (issue 16: Esc or a
 * click on the mask threw a filled 添加镜像 form away). The drawer's own
 * close paths (Esc, the mask, ✕) go through the returned function; an
 * untouched form closes at once, and so does an explicit 取消.
 */
import { useCallback } from 'react';
import { App, type ButtonProps, type FormInstance } from 'antd';
import { useI18n } from '../i18n.tsx';

export function useGuardedClose(form: FormInstance, onClose: () => void): () => void {
  const { modal } = App.useApp();
  const { t } = useI18n();
  return useCallback(() => {
    if (!form.isFieldsTouched()) return onClose();
    modal.confirm({
      title: t('form.discardTitle'),
      content: t('form.discardBody'),
      okText: t('form.discard'),
      okButtonProps: { danger: true, 'data-testid': 'discard-confirm' } as ButtonProps,
      cancelText: t('form.keepEditing'),
      onOk: onClose,
    });
  }, [form, onClose, modal, t]);
}
