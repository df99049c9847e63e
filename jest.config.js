// Jest: unit tests run in parallel; integration tests (real Temporal and servers) share one
// Temporal dev server started by test/setup/globalSetup.ts and run in band: `npm test` runs the two
// projects as two jest runs (scripts/jest-projects.sh).
/** @type {import('jest').Config} */
// Tests compile to plain CommonJS so that lazy `import()` of storage backends and SDKs becomes
// `require`: jest's module sandbox refuses real dynamic imports (the built code keeps them).
const tsJest = ['ts-jest', { diagnostics: false, tsconfig: { module: 'commonjs', moduleResolution: 'node10', ignoreDeprecations: '6.0' } }];
const common = {
  testEnvironment: 'node',
  transform: { '^.+\\.ts$': tsJest },
  moduleFileExtensions: ['ts', 'js', 'json'],
  // Sources import './x.js' (nodenext); under ts-jest the .ts file answers.
  moduleNameMapper: { '^(\\.{1,2}/.*)\\.js$': '$1' },
};
module.exports = {
  testTimeout: 300000,
  // One worker per core, not jest's default of one fewer: unit tests spend much of their time
  // waiting on the CLIs and engine threads they spawn, so on 2 cores two workers ran the unit
  // project in 251 s where the default single worker took 461 s. (Integration runs in band.)
  maxWorkers: '100%',
  // The run ends once results and the global teardown are in: a child process or native handle
  // that a crashed test left behind must not hold CI open (teardown logs any server that lingered).
  forceExit: true,
  projects: [
    // Engine threads and spawned CLIs run from dist/: the unit project refuses a stale build.
    { ...common, displayName: 'unit', testMatch: ['<rootDir>/test/unit/**/*.test.ts'], globalSetup: '<rootDir>/test/setup/unitGlobalSetup.ts' },
    {
      ...common,
      displayName: 'integration',
      testMatch: ['<rootDir>/test/integration/**/*.test.ts'],
      // Project-level, so the server starts only when integration tests are selected.
      globalSetup: '<rootDir>/test/setup/globalSetup.ts',
      globalTeardown: '<rootDir>/test/setup/globalTeardown.ts',
    },
  ],
};
