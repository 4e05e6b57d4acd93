export { RedisStreamsDashboard, WRITE_HEADER } from './dashboard.js';
export type { DashboardOptions } from './options.js';
export { CONTENT_SECURITY_POLICY } from './http.js';
export { TOKEN_COOKIE } from './auth.js';
