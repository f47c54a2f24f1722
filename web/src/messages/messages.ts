/** A message table: key -> [Chinese, English]. `{name}` placeholders are filled by `t`'s second argument. */
export type Messages = Record<string, readonly [string, string]>;
