-- The Yjs documents of shared sessions (presence, the watched turn, the shared draft,
-- the turn lease): updates as this instance's clients wrote them, coalesced per flush;
-- compaction replaces a document's rows with one merged row. BYTEA is a blob on both
-- backends (SQLite takes any type name). Ids are UUIDv7, so they order by time.
CREATE TABLE session_doc_updates (
    id TEXT PRIMARY KEY,
    session_id TEXT NOT NULL REFERENCES sessions (id) ON DELETE CASCADE,
    data BYTEA NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE INDEX session_doc_updates_by_session ON session_doc_updates (session_id, id);
