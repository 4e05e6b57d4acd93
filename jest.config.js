/**
 * Jest 30 + ts-jest in ESM mode. Unit specs live next to the source; process tests in test/.
 * ts-jest only transpiles (isolatedModules in tsconfig.json); `npm run typecheck` type-checks tests and sources.
 */
export default {
  testEnvironment: 'node',
  extensionsToTreatAsEsm: ['.ts'],
  transform: {
    '^.+\\.ts$': ['ts-jest', { useESM: true, tsconfig: 'tsconfig.json' }],
  },
  moduleNameMapper: {
    '^@redstream/core$': '<rootDir>/libs/core/src/index.ts',
    '^@redstream/core/metrics$': '<rootDir>/libs/core/src/metrics/index.ts',
    '^@redstream/nestjs$': '<rootDir>/libs/nestjs/src/index.ts',
    '^@redstream/dashboard$': '<rootDir>/libs/dashboard/src/index.ts',
    '^(\\.{1,2}/.*)\\.js$': '$1',
  },
  roots: ['<rootDir>/libs', '<rootDir>/apps', '<rootDir>/test'],
  testMatch: ['**/*.spec.ts', '**/*.test.ts'],
  testPathIgnorePatterns: ['/node_modules/', '/dist/'],
  modulePathIgnorePatterns: ['<rootDir>/.*/dist/', '<rootDir>/test/fixtures/nest-apps/'],
  testTimeout: 120_000,
  maxWorkers: 2,
  reporters: ['default', '<rootDir>/test/support/summary-reporter.cjs'],
};
