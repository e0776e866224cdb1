-- Makes writers racing on one document safe on FerretDB 1.24, whose updates are not atomic.
--
-- FerretDB reads the document a filter finds, applies the update in its own process, then writes the
-- whole document back by `_id`, not conditioned on what it read. Two writers conditioned on the same
-- version both "win" (the second overwrites the first), and concurrent $inc lose increments: measured by
-- `make bench` ("store races"). MongoDB applies each update atomically.
--
-- Every Hotline writer adds 1 to a document's `_rev` with each update (plumbing/write_guard.py). So a
-- write computed from the revision it read lands exactly one past it, and this row trigger refuses any
-- other: a write computed from a revision someone else has since replaced. The PostgreSQL row lock
-- orders the writers, and the trigger sees the row as the last one left it. The refused writer gets an
-- error (SQLSTATE 40001, "hotline stale write") and reads again, as after a lost optimistic race.
-- Documents that never carry `_rev` (FerretDB's own metadata) are left alone.

CREATE OR REPLACE FUNCTION hotline_guard_revision() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    stored numeric := coalesce((OLD._jsonb->>'_rev')::numeric, 0);
    written numeric := (NEW._jsonb->>'_rev')::numeric;
BEGIN
    IF written IS NOT NULL AND written <> stored + 1 THEN
        RAISE EXCEPTION 'hotline stale write: % written at revision %, stored at %',
            OLD._jsonb->'_id', written, stored
            USING ERRCODE = 'serialization_failure';
    END IF;
    -- A write that drops the revision (a whole replacement, an unguarded update of a field set) would
    -- reset the guard for every writer after it: refused as loudly, it is a writer to fix.
    IF written IS NULL AND OLD._jsonb ? '_rev' THEN
        RAISE EXCEPTION 'hotline stale write: % written without its revision, stored at %',
            OLD._jsonb->'_id', stored
            USING ERRCODE = 'serialization_failure';
    END IF;
    RETURN NEW;
END;
$$;

CREATE OR REPLACE FUNCTION hotline_guard_table(target regclass) RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
    IF NOT EXISTS (SELECT FROM pg_trigger WHERE tgrelid = target AND tgname = 'hotline_guard_revision') THEN
        EXECUTE format(
            'CREATE TRIGGER hotline_guard_revision BEFORE UPDATE ON %s '
            'FOR EACH ROW EXECUTE FUNCTION hotline_guard_revision()',
            target
        );
    END IF;
END;
$$;

-- A FerretDB collection is a table with one `_jsonb` column; each database also has a metadata table.
CREATE OR REPLACE FUNCTION hotline_is_collection(target regclass) RETURNS boolean
LANGUAGE sql STABLE AS $$
    SELECT EXISTS (
        SELECT FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid
         WHERE a.attrelid = target AND a.attname = '_jsonb' AND NOT a.attisdropped
           AND c.relkind = 'r' AND c.relname <> '_ferretdb_database_metadata'
    )
$$;

-- Runs as the role that made the table (its owner), which may add a trigger to it.
CREATE OR REPLACE FUNCTION hotline_guard_new_collections() RETURNS event_trigger
LANGUAGE plpgsql AS $$
DECLARE
    command record;
BEGIN
    FOR command IN
        SELECT * FROM pg_event_trigger_ddl_commands() WHERE command_tag = 'CREATE TABLE'
    LOOP
        IF hotline_is_collection(command.objid::regclass) THEN
            PERFORM hotline_guard_table(command.objid::regclass);
        END IF;
    END LOOP;
END;
$$;

DROP EVENT TRIGGER IF EXISTS hotline_guard_new_collections;
CREATE EVENT TRIGGER hotline_guard_new_collections ON ddl_command_end
    WHEN TAG IN ('CREATE TABLE')
    EXECUTE FUNCTION hotline_guard_new_collections();

-- Collections made before the guard existed.
DO $$
DECLARE
    existing regclass;
BEGIN
    FOR existing IN
        SELECT c.oid::regclass FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
         WHERE c.relkind = 'r' AND n.nspname NOT IN ('pg_catalog', 'information_schema', 'public')
    LOOP
        IF hotline_is_collection(existing) THEN
            PERFORM hotline_guard_table(existing);
        END IF;
    END LOOP;
END;
$$;
