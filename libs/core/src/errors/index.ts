export * from './redstream.error.js';
export * from './invalid-option.error.js';
export * from './serialization.error.js';
export * from './decode.error.js';
export * from './unrecoverable.error.js';
export * from './handler-timeout.error.js';
export * from './unknown-stream.error.js';
export * from './unknown-group.error.js';
