// Bundles the workflow code once at build time (dist/workflow-bundle.js), so workers and the
// CLI start in well under a second instead of bundling with webpack at every start; its source
// map keeps the mappings but not the sources' text (scripts/trimSourceMap.ts).

import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { bundleWorkflowCode } from '@temporalio/worker';
import { withoutSourcesContent } from './trimSourceMap.js';

async function main(): Promise<void> {
  const { code } = await bundleWorkflowCode({
    workflowsPath: require.resolve('../workflows/index'),
    logger: { trace() {}, debug() {}, info() {}, warn: console.warn, error: console.error, log() {} },
  });
  const out = path.join(__dirname, '..', 'workflow-bundle.js');
  const trimmed = withoutSourcesContent(code);
  writeFileSync(out, trimmed);
  console.log(`workflow bundle: ${path.relative(process.cwd(), out)} (${(trimmed.length / 1024).toFixed(0)} KiB)`);
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
