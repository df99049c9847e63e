// meridian.yaml SLAs: an SLA's sources, repositories (each with a source) and runbooks (the file's
// or a built-in template) must exist, each error one line with the key path; and the monitor
// settings `meridian apply` resolves from it (repositories become their sources, minutes seconds).

import { parseConfig } from '../../config/load';
import { slaMonitorSettings } from '../../schedules/slaMonitor';
import { configErrorOf, editedText } from '../helpers/configErrors';

const FILE = '/etc/meridian/meridian.yaml';

const EXAMPLE = `repositories:
  main: { url: /srv/main }
  spare: { url: /srv/spare }
sources:
  tiles: { path: /data/tiles, repository: main }
  docs: { path: /data/docs, repository: main }
slas:
  gold:
    sources: [tiles]
    rpoMinutes: 60
    rtoMinutes: 30
    runbooks: [restore-drill]
    rtoTestedWithin: 7d
  silver:
    repositories: [main]
    rpoMinutes: 1440
    rtoMinutes: 240
    enabled: false
monitoring:
  slaInterval: 30s
`;

const errorOf = (text: string) => configErrorOf(text, FILE);
const edited = (from: string, to: string) => editedText(EXAMPLE, from, to);

it('resolves into the monitor settings: repositories become their sources, minutes seconds, the interval', () => {
  expect(slaMonitorSettings(parseConfig(EXAMPLE, FILE))).toEqual({
    slas: [
      { name: 'gold', enabled: true, sources: ['tiles'], rpoSeconds: 3600, rtoSeconds: 1800, rtoTestedWithinSeconds: 7 * 86_400, runbooks: ['restore-drill'] },
      { name: 'silver', enabled: false, sources: ['tiles', 'docs'], rpoSeconds: 86_400, rtoSeconds: 14_400, rtoTestedWithinSeconds: 30 * 86_400 },
    ],
    sources: ['tiles', 'docs'],
    repositories: ['main', 'spare'],
    intervalSeconds: 30,
  });
});

it.each([
  ['a missing source', edited('sources: [tiles]', 'sources: [tile]'), 'slas.gold.sources.0: no source named "tile" in sources (known: tiles, docs)'],
  ['a missing repository', edited('repositories: [main]', 'repositories: [mian]'), 'slas.silver.repositories.0: no repository named "mian" in repositories (known: main, spare)'],
  ['a repository without sources', edited('repositories: [main]', 'repositories: [spare]'), 'slas.silver.repositories.0: repository "spare" has no source in sources: this SLA would watch nothing'],
  ['a missing runbook', edited('runbooks: [restore-drill]', 'runbooks: [drill]'), 'slas.gold.runbooks.0: no runbook named "drill" in runbooks (known: '],
  ['an empty notify list (would tell nobody)', edited('rtoTestedWithin: 7d', 'rtoTestedWithin: 7d\n    notify: []'), 'slas.gold.notify: name at least one channel, or leave notify out for every channel'],
])('%s is one line naming the key', (_what, text, message) => {
  expect(errorOf(text)).toContain(message);
});
