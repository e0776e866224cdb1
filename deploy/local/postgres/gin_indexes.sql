-- Makes every index FerretDB creates usable by the queries FerretDB sends (FerretDB issues 4646, 4209).
--
-- FerretDB 1.24 on PostgreSQL keeps each document in one jsonb column and answers an equality on a
-- top-level field with `WHERE _jsonb->$1 @> $2`, which its own btree indexes on `(_jsonb->'field')`
-- cannot serve: every query was a scan of the table. A GIN jsonb_path_ops index on the same expression
-- serves it, once the planner sees the field name as a constant (plan_cache_mode=force_custom_plan,
-- set by the stack for the cluster).
--
-- So whenever FerretDB creates an index (the _id index of a new collection, or one a service declared
-- through the MongoDB API), this event trigger adds a GIN index on each of its expressions. Services stay
-- plain MongoDB code; production MongoDB uses their declared indexes directly.

CREATE OR REPLACE FUNCTION hotline_gin_for_ferretdb_index() RETURNS event_trigger
LANGUAGE plpgsql AS $$
DECLARE
    command record;
    index_row record;
    expression text;
    gin_name text;
BEGIN
    FOR command IN
        SELECT * FROM pg_event_trigger_ddl_commands() WHERE command_tag = 'CREATE INDEX'
    LOOP
        SELECT i.indexrelid, i.indrelid, i.indnatts, c.relname AS index_name
          INTO index_row
          FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid
         WHERE i.indexrelid = command.objid;
        -- Our own GIN indexes come through here too; FerretDB's are btree on _jsonb expressions.
        CONTINUE WHEN index_row.index_name LIKE 'hotline_gin_%'
            OR pg_get_indexdef(index_row.indexrelid) NOT LIKE '%USING btree%(_jsonb -> %';
        FOR position IN 1 .. index_row.indnatts LOOP
            expression := pg_get_indexdef(index_row.indexrelid, position, true);
            CONTINUE WHEN expression NOT LIKE '(_jsonb -> %';
            gin_name := 'hotline_gin_' || md5(index_row.indrelid::regclass::text || expression);
            -- fastupdate off: new entries go into the index itself, not a pending list every query
            -- must scan until vacuum merges it (after a bulk insert, lookups were 3x slower).
            EXECUTE format(
                'CREATE INDEX IF NOT EXISTS %I ON %s USING gin (%s jsonb_path_ops) WITH (fastupdate = off)',
                gin_name, index_row.indrelid::regclass, expression
            );
        END LOOP;
    END LOOP;
END;
$$;

DROP EVENT TRIGGER IF EXISTS hotline_gin_for_ferretdb_indexes;
CREATE EVENT TRIGGER hotline_gin_for_ferretdb_indexes ON ddl_command_end
    WHEN TAG IN ('CREATE INDEX')
    EXECUTE FUNCTION hotline_gin_for_ferretdb_index();

-- Indexes made before fastupdate was turned off above.
DO $$
DECLARE
    index_name regclass;
BEGIN
    FOR index_name IN
        SELECT c.oid::regclass FROM pg_class c
         WHERE c.relkind = 'i' AND c.relname LIKE 'hotline_gin_%'
           AND NOT coalesce('fastupdate=off' = ANY (c.reloptions), false)
    LOOP
        EXECUTE format('ALTER INDEX %s SET (fastupdate = off)', index_name);
    END LOOP;
END;
$$;
