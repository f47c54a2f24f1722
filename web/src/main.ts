/**
 * The console's entry, kept tiny on purpose: it starts the first screen's API
 * requests (early.ts), then loads the app (boot.tsx: React, antd, the
 * shell), so that the rows travel while the app's 1.1 MB of JavaScript
 * arrives and runs, instead of after it (issue 16's cold load).
 */
import { startFirstScreenRequests } from './early.ts';

startFirstScreenRequests();
void import('./boot.tsx');
