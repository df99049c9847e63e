// The ransomware alert routes' part of the OpenAPI document (api/openapi.ts spreads it in): GET
// /v1/alerts and POST /v1/alerts/{snapshot}/ack, with the shape of core/ransomwareAlerts.ts.

import { errors, isoTime, json, jsonSchema, ref } from './openapiParts.js';
import { AlertParamSchema, SnapshotsQuerySchema } from './schemas.js';

const repoParameter = { name: 'repo', in: 'query', required: true, schema: jsonSchema(SnapshotsQuerySchema.shape.repo) };

export const alertPaths = {
  '/v1/alerts': {
    get: {
      summary:
        "A repository's ransomware alerts, oldest first: backups whose changes departed sharply from their source's history. An alert without " +
        "`acknowledged` is open: forget keeps the source's snapshots taken before it",
      parameters: [repoParameter],
      responses: { '200': { description: 'The alerts', ...json(ref('AlertList')) }, ...errors(400, 401, 403, 404, 405, 422, 500, 502, 503) },
    },
  },
  '/v1/alerts/{snapshot}/ack': {
    post: {
      summary:
        "Acknowledge the alert of a suspected snapshot, as the request's token identity; this lifts forget's hold on the source's earlier snapshots. " +
        'Needs the maintenance role (403 refused where the server is append-only for the repository); an alert already acknowledged keeps its first acknowledgment; ' +
        '400 for a snapshot that raised no alert',
      parameters: [{ name: 'snapshot', in: 'path', required: true, schema: jsonSchema(AlertParamSchema.shape.snapshot) }, repoParameter],
      responses: { '200': { description: 'The alert, acknowledged', ...json(ref('Alert')) }, ...errors(400, 401, 403, 404, 405, 413, 422, 500, 502, 503) },
    },
  },
};

export const alertSchemas = {
  Alert: {
    type: 'object',
    required: ['snapshotId', 'host', 'source', 'time', 'reasons'],
    properties: {
      snapshotId: { type: 'string' },
      host: { type: 'string' },
      source: { type: 'string' },
      time: { ...isoTime, description: "The suspected snapshot's time: the source's snapshots before it are held while the alert is open" },
      reasons: { type: 'array', items: { type: 'string' } },
      acknowledged: {
        type: 'object',
        required: ['snapshot', 'acknowledgedAt', 'by'],
        properties: { snapshot: { type: 'string' }, acknowledgedAt: isoTime, by: { type: 'string', description: 'The identity that acknowledged it' } },
      },
    },
  },
  AlertList: { type: 'object', required: ['alerts'], properties: { alerts: { type: 'array', items: ref('Alert') } } },
};
