package store

// LastStateChangesSQL is LastStateChanges's query, for the plan test.
const LastStateChangesSQL = lastStateChangesSQL
