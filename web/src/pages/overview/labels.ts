/** The words for the overview's keys (the API's status and health values) in the user's language. */
import type { MessageKey, Translate } from '../../i18n.tsx';

const STATUS_LABEL: Readonly<Record<string, MessageKey>> = {
  Success: 'status.Success',
  Syncing: 'status.Syncing',
  Failed: 'status.Failed',
  Pending: 'status.Pending',
  Unknown: 'overview.status.Unknown',
};

const HEALTH_LABEL: Readonly<Record<string, MessageKey>> = {
  Healthy: 'overview.health.Healthy',
  Degraded: 'overview.health.Degraded',
  Unhealthy: 'overview.health.Unhealthy',
  Unknown: 'overview.health.Unknown',
};

/** A value a newer server added shows as it is sent (a state name, not a sentence). */
export const statusLabel = (k: string, t: Translate) => (STATUS_LABEL[k] ? t(STATUS_LABEL[k]) : k);
export const healthLabel = (k: string, t: Translate) => (HEALTH_LABEL[k] ? t(HEALTH_LABEL[k]) : k);
