-- The dynamic device-group query language (libpowermanage/query, docs/query-language.md).
--
-- Comparisons are case-insensitive for ASCII letters only: pm_ascii_lower() lowers A-Z and
-- nothing else, exactly as the C++ evaluator does, so the SQL predicate and the in-memory
-- evaluator agree on every label, whatever the database's collation (lower() under the
-- default collation may fold other letters). Under the "C" collation PostgreSQL's lower()
-- lowers ASCII letters only, byte by byte (str_tolower -> asc_tolower); translate() over
-- the 26 letters means the same but costs ~4 us a call, 8 times as much.
CREATE FUNCTION pm_ascii_lower(t text) RETURNS text
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$
    SELECT lower(t COLLATE "C")
$$;

-- A device's labels with every value lowered as above (keys stay as they are: label names
-- are case-sensitive): equals and in become containment, labels_lower @> '{"env": "prod"}',
-- which the index below answers.
CREATE FUNCTION pm_labels_lower(labels jsonb) RETURNS jsonb
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$
    SELECT coalesce(jsonb_object_agg(key, pm_ascii_lower(value)), '{}'::jsonb)
    FROM jsonb_each_text(labels)
$$;

-- Stored, not an expression index: a GIN containment match is always rechecked against the
-- row, and recomputing the function there (or in a sequential scan) costs ~20 us per row.
ALTER TABLE devices_projection
    ADD COLUMN labels_lower jsonb NOT NULL GENERATED ALWAYS AS (pm_labels_lower(labels)) STORED;
CREATE INDEX devices_projection_labels_lower ON devices_projection
    USING gin (labels_lower jsonb_path_ops);
