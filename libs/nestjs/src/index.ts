export * from './redis-streams.server.js';
export * from './redis-streams.client.js';
export * from './redis-streams.context.js';
export * from './redis-streams-record.builder.js';
export * from './redis-streams.module.js';
export * from './redis-streams.options.js';
export * from './redis-streams-exception.filter.js';
export * from './redis-streams-dashboard.module.js';
export { UnrecoverableError } from '@redstream/core';
