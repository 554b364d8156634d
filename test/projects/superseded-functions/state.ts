// The world's live data: imports nothing, so no reload of the others re-runs it.
export const contacts: object[] = [];
