// The notes `meridian schedule pause` and `resume` leave on a Schedule when the operator gives
// none: Temporal UI and `temporal schedule describe` show them, so they say who paused it.

export const DEFAULT_PAUSE_NOTE = 'paused by meridian schedule pause';
export const RESUME_NOTE = 'resumed by meridian schedule resume';
