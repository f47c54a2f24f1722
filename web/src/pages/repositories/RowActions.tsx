/**
 * A row's ⋯ menu. The Dropdown (a Trigger and its menu) is mounted when the
 * button is first pressed, open at once, and behaves as a plain antd
 * Dropdown from then on: a list renders one per row, and mounting them all
 * up front weighed on the list's first render (issue 16's cold load).
 */
import { useState } from 'react';
import { Button, Dropdown, type MenuProps } from 'antd';
import { EllipsisOutlined } from '@ant-design/icons';

export function RowActions({ menu, label, testId }: { menu: () => MenuProps; label: string; testId: string }) {
  const [open, setOpen] = useState<boolean | null>(null);
  const button = <Button type="text" icon={<EllipsisOutlined />} aria-label={label} data-testid={testId} onClick={open === null ? () => setOpen(true) : undefined} />;
  if (open === null) return button;
  return (
    <Dropdown trigger={['click']} open={open} onOpenChange={setOpen} menu={menu()}>
      {button}
    </Dropdown>
  );
}
