/**
 * antd's CSS for the components no first screen shows (web/vite.config.ts,
 * splitAntdCss, antdSplit.ts): lazy pages and dialogs load this module with their chunk
 * (through lazyWithLaterCss.ts), so that its stylesheet is in
 * place before they render, and the list's cold load parses only the rules
 * it uses (issue 16).
 */
import 'antd/dist/antd.css?later';
