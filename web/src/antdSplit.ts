/**
 * antd components that no first screen shows (the list, the shell, a lazy
 * page's loading skeleton), by their class name (`ant-NAME`, `ant-NAME-*`).
 * Their rules of antd's static CSS are left out of the first load and load
 * with the lazy pages and dialogs (antdLater.ts; ../vite.config.ts, splitAntdCss; issue 16's
 * cold load). Keep in step with the first screen: a component listed here
 * would show unstyled there (test/web/console.test.ts checks the list's
 * classes against it).
 */
export const LATER_COMPONENTS = [
  'anchor', 'avatar', 'breadcrumb', 'calendar', 'card', 'carousel', 'cascader', 'col', 'collapse', 'color-picker', 'descriptions', 'divider', 'drawer',
  'float-btn', 'form', 'image', 'input-number', 'list', 'masonry', 'menu-dark', 'mentions', 'notification', 'pagination', 'picker', 'progress', 'qrcode',
  'radio', 'rate', 'result', 'row', 'segmented', 'slider', 'splitter', 'statistic', 'steps', 'switch', 'tabs', 'timeline', 'tour', 'transfer', 'tree',
  'tree-select', 'upload', 'watermark',
];

/** Whether a class name (without the dot) belongs to a LATER_COMPONENTS component. */
export const LATER_CLASS = new RegExp(`^ant-(?:${LATER_COMPONENTS.join('|')})(?:-|$)`);
