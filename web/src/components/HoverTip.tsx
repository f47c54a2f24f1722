/**
 * A tooltip for cells of long lists: until the pointer or the focus first
 * reaches `children`, they render bare, and antd's Tooltip (a Trigger with a
 * dozen hooks, a portal and motion) is mounted then, open at once. A list
 * row carries several; mounting them for every row cost a good part of the
 * list's first render (issue 16's cold load). Behaves as antd's Tooltip
 * from the first hover on. `children` must be one element that passes on
 * mouse and focus handlers (a DOM element or an antd component).
 */
import { cloneElement, type FocusEvent, type MouseEvent, type ReactElement, type ReactNode, useState } from 'react';
import { Tooltip } from 'antd';

type Handlers = { onMouseEnter?: (e: MouseEvent) => void; onFocus?: (e: FocusEvent) => void };

export function HoverTip({ title, children }: { title: ReactNode; children: ReactElement<Handlers> }) {
  const [armed, setArmed] = useState(false);
  if (armed) return <Tooltip title={title} defaultOpen>{children}</Tooltip>;
  const arm = () => setArmed(true);
  return cloneElement(children, {
    onMouseEnter: (e: MouseEvent) => {
      children.props.onMouseEnter?.(e);
      arm();
    },
    onFocus: (e: FocusEvent) => {
      children.props.onFocus?.(e);
      arm();
    },
  });
}
