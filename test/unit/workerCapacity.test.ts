// A worker's capacity from its environment: 4 activities at once and one encoder thread per core
// unless MERIDIAN_WORKER_ACTIVITIES / MERIDIAN_ENCODER_THREADS say otherwise; a malformed value is
// a one-line error naming its variable.

import { DEFAULT_MAX_ACTIVITIES, workerCapacityFromEnv } from '../../worker/workerCapacity';

test('unset or empty: 4 activities at once, encoder threads left to the engine (one per core)', () => {
  expect(DEFAULT_MAX_ACTIVITIES).toBe(4);
  expect(workerCapacityFromEnv({})).toEqual({ maxActivities: 4 });
  expect(workerCapacityFromEnv({ MERIDIAN_WORKER_ACTIVITIES: '', MERIDIAN_ENCODER_THREADS: '' })).toEqual({ maxActivities: 4 });
});

test('set: the given counts, 0 encoder threads (encode inline) included', () => {
  expect(workerCapacityFromEnv({ MERIDIAN_WORKER_ACTIVITIES: '6', MERIDIAN_ENCODER_THREADS: '3' })).toEqual({ maxActivities: 6, encoderThreads: 3 });
  expect(workerCapacityFromEnv({ MERIDIAN_ENCODER_THREADS: '0' })).toEqual({ maxActivities: 4, encoderThreads: 0 });
});

test.each([
  ['MERIDIAN_WORKER_ACTIVITIES', '0', 'MERIDIAN_WORKER_ACTIVITIES must be a whole number from 1 to 1000 (got "0")'],
  ['MERIDIAN_WORKER_ACTIVITIES', '2.5', 'MERIDIAN_WORKER_ACTIVITIES must be a whole number from 1 to 1000 (got "2.5")'],
  ['MERIDIAN_ENCODER_THREADS', '-1', 'MERIDIAN_ENCODER_THREADS must be a whole number from 0 to 1024 (got "-1")'],
  ['MERIDIAN_ENCODER_THREADS', 'all', 'MERIDIAN_ENCODER_THREADS must be a whole number from 0 to 1024 (got "all")'],
])('%s=%s is refused in one line', (variable, value, message) => {
  expect(() => workerCapacityFromEnv({ [variable]: value })).toThrow(message);
});
