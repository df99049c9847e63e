// The storage configuration's zod schema, covering the original design's options for each
// backend, and the parse of a JSON config (a worker's or a test's) into it. storage/config.ts
// loads this module on first use only.

import path from 'node:path';
import { z } from 'zod';
import { StorageError } from './storage.js';

const prefix = z.string().default('');

export const StorageConfigSchema = z.discriminatedUnion('type', [
  z.object({ type: z.literal('local'), path: z.string().refine((p) => path.isAbsolute(p), 'must be an absolute path') }).strict(),
  z
    .object({
      type: z.literal('s3'),
      bucket: z.string().min(1),
      prefix,
      region: z.string().optional(),
      endpoint: z.url().optional(),
      accessKeyId: z.string().optional(),
      secretAccessKey: z.string().optional(),
      pathStyle: z.boolean().default(false),
    })
    .strict(),
  z
    .object({
      type: z.literal('gcs'),
      bucket: z.string().min(1),
      prefix,
      projectId: z.string().optional(),
      credentialsFile: z.string().optional(),
      endpoint: z.url().optional(),
    })
    .strict(),
  z
    .object({
      type: z.literal('azure'),
      account: z.string().min(1),
      container: z.string().min(1),
      prefix,
      accountKey: z.string().optional(),
      connectionString: z.string().optional(),
      endpoint: z.url().optional(),
    })
    .strict(),
]);
export type StorageConfig = z.infer<typeof StorageConfigSchema>;
export type S3Config = Extract<StorageConfig, { type: 's3' }>;
export type GcsConfig = Extract<StorageConfig, { type: 'gcs' }>;
export type AzureConfig = Extract<StorageConfig, { type: 'azure' }>;

/** Parses a config object; throws a one-sentence StorageError naming the first bad field. */
export function parseStorageConfig(value: unknown): StorageConfig {
  const parsed = StorageConfigSchema.safeParse(value);
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0];
  throw new StorageError('permanent', `[storage] invalid storage configuration: ${issue?.path.join('.') || 'config'}: ${issue?.message ?? 'invalid'}`);
}

