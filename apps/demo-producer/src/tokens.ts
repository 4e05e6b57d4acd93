export const JOBS_CLIENT = Symbol('JOBS_CLIENT');
