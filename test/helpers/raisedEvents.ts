// A notifyEvent stand-in for workers with scripted activities: the workflows raise events (failed
// operations, failovers, failing replicas), and a worker without the activity would leave each
// one retried for 15 s. It keeps every event it is given, as delivered to no channel.

import type { MeridianEvent, NotifyEventInput, NotifyEventOutput } from '../../workflows/eventDefs';

export function recordingNotifyEvent(): { events: MeridianEvent[]; notifyEvent: (input: NotifyEventInput) => Promise<NotifyEventOutput> } {
  const events: MeridianEvent[] = [];
  return {
    events,
    notifyEvent: async (input) => {
      events.push(input.event);
      return { delivered: [], filtered: [] };
    },
  };
}
