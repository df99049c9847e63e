// The building blocks of the OpenAPI document's parts (api/openapi.ts, api/openapiSlas.ts): a zod
// schema as JSON Schema, references to components, a JSON body and the error responses.

import { z } from 'zod';

export function jsonSchema(schema: z.ZodType): Record<string, unknown> {
  const { $schema: _dialect, ...rest } = z.toJSONSchema(schema, { io: 'input' });
  return rest;
}

export const ref = (name: string) => ({ $ref: `#/components/schemas/${name}` });
export const json = (schema: object) => ({ content: { 'application/json': { schema } } });
export const errors = (...statuses: number[]) => Object.fromEntries(statuses.map((status) => [String(status), { $ref: `#/components/responses/Error${status}` }]));
export const isoTime = { type: 'string', format: 'date-time' };
