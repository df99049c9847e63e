// Which channels of the worker's meridian.yaml an event goes to (DESIGN decision "Routing"): every
// channel whose minSeverity it meets and whose `events` (when given) names its kind, or, when its
// raiser has a `notify` list (an SLA, a schedule), those channels only, minSeverity and `events`
// still applying. Names the list gives that the worker does not know are returned apart. Pure.

import type { NotificationChannel } from '../config/schema.js';
import { MeridianEvent, severityRank } from '../workflows/eventDefs.js';

export interface Route {
  /** Channels to deliver to, by name. */
  send: [string, NotificationChannel][];
  /** Channels that do not want this event. */
  filtered: string[];
  /** Names of the raiser's list with no channel in this worker's meridian.yaml. */
  unknown: string[];
}

export function routeEvent(channels: Record<string, NotificationChannel>, event: MeridianEvent, names?: readonly string[]): Route {
  const route: Route = { send: [], filtered: [], unknown: [] };
  for (const name of names ?? Object.keys(channels)) {
    const channel = Object.hasOwn(channels, name) ? channels[name] : undefined;
    if (!channel) route.unknown.push(name);
    else if (wants(channel, event)) route.send.push([name, channel]);
    else route.filtered.push(name);
  }
  return route;
}

function wants(channel: NotificationChannel, event: MeridianEvent): boolean {
  if (severityRank(event.severity) < severityRank(channel.minSeverity)) return false;
  return channel.events === undefined || channel.events.includes(event.kind);
}
