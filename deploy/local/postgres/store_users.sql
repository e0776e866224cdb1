-- One PostgreSQL role per service: FerretDB logs each client in as the role its credentials name, and a
-- role reaches only the schemas (MongoDB databases) it made. The anonymous role, which FerretDB uses for a
-- client that sends no credentials, may connect and nothing more. Run at every start with the passwords
-- of .run/credentials/store_users.json in psql's environment (HOTLINE_INTAKE_PASSWORD, ...).

\getenv anonymous_password HOTLINE_ANONYMOUS_PASSWORD
\getenv gateway_password HOTLINE_GATEWAY_PASSWORD
\getenv intake_password HOTLINE_INTAKE_PASSWORD
\getenv dispatch_password HOTLINE_DISPATCH_PASSWORD
\getenv notify_password HOTLINE_NOTIFY_PASSWORD
\getenv qa_password HOTLINE_QA_PASSWORD

-- A statement that fails is not copied into the server's log: these carry passwords.
SET log_min_error_statement = panic;

REVOKE ALL ON DATABASE ferretdb FROM PUBLIC;
REVOKE CREATE ON SCHEMA public FROM PUBLIC;

SELECT format('CREATE ROLE %I LOGIN', name)
  FROM unnest(ARRAY['hotline_anonymous', 'gateway', 'intake', 'dispatch', 'notify', 'qa']) AS name
 WHERE NOT EXISTS (SELECT FROM pg_roles WHERE rolname = name)\gexec

ALTER ROLE hotline_anonymous LOGIN PASSWORD :'anonymous_password';
ALTER ROLE gateway LOGIN PASSWORD :'gateway_password';
ALTER ROLE intake LOGIN PASSWORD :'intake_password';
ALTER ROLE dispatch LOGIN PASSWORD :'dispatch_password';
ALTER ROLE notify LOGIN PASSWORD :'notify_password';
ALTER ROLE qa LOGIN PASSWORD :'qa_password';

GRANT CONNECT ON DATABASE ferretdb TO hotline_anonymous;
GRANT CONNECT, CREATE ON DATABASE ferretdb TO gateway, intake, dispatch, notify, qa;

-- A database belongs to the service whose name ends its own (<prefix>_<province>_<service>), tables
-- included: one the stack's admin made before the services had roles, or one another service made
-- first (each may create schemas), goes to its service at the next start.
DO $$
DECLARE
    owned record;
    owned_table record;
    service text;
BEGIN
    FOR owned IN
        SELECT n.nspname, r.rolname AS owner FROM pg_namespace n JOIN pg_roles r ON r.oid = n.nspowner
         WHERE n.nspname ~ '_(gateway|intake|dispatch|notify|qa)$'
    LOOP
        CONTINUE WHEN owned.owner = substring(owned.nspname from '_(gateway|intake|dispatch|notify|qa)$');
        service := substring(owned.nspname from '_(gateway|intake|dispatch|notify|qa)$');
        EXECUTE format('ALTER SCHEMA %I OWNER TO %I', owned.nspname, service);
        FOR owned_table IN SELECT tablename FROM pg_tables WHERE schemaname = owned.nspname LOOP
            EXECUTE format('ALTER TABLE %I.%I OWNER TO %I', owned.nspname, owned_table.tablename, service);
        END LOOP;
    END LOOP;
END $$;

-- FerretDB 1.x keeps one registry of databases per process, filled on first use through whichever
-- role asks first, and reads it from information_schema and each database's metadata table. A role that
-- cannot see another's database there would leave it out, and FerretDB would then try to make it again
-- (and drop it when that fails). So every role, the anonymous one included (FerretDB may fill its
-- registry through it), may see each database and read its metadata table: the names of its
-- collections and indexes. The documents stay their owner's alone.
CREATE OR REPLACE FUNCTION hotline_share_ferretdb_metadata() RETURNS event_trigger
LANGUAGE plpgsql AS $$
DECLARE
    command record;
BEGIN
    FOR command IN
        SELECT * FROM pg_event_trigger_ddl_commands()
         WHERE command_tag = 'CREATE TABLE' AND object_identity LIKE '%.\_ferretdb\_database\_metadata'
    LOOP
        EXECUTE format('GRANT USAGE ON SCHEMA %I TO PUBLIC', command.schema_name);
        EXECUTE format('GRANT SELECT ON %s TO PUBLIC', command.object_identity);
    END LOOP;
END $$;

DROP EVENT TRIGGER IF EXISTS hotline_share_ferretdb_metadata;
CREATE EVENT TRIGGER hotline_share_ferretdb_metadata ON ddl_command_end
    WHEN TAG IN ('CREATE TABLE') EXECUTE FUNCTION hotline_share_ferretdb_metadata();

DO $$
DECLARE
    metadata record;
BEGIN
    FOR metadata IN SELECT schemaname FROM pg_tables WHERE tablename = '_ferretdb_database_metadata' LOOP
        EXECUTE format('GRANT USAGE ON SCHEMA %I TO PUBLIC', metadata.schemaname);
        EXECUTE format('GRANT SELECT ON %I._ferretdb_database_metadata TO PUBLIC', metadata.schemaname);
    END LOOP;
END $$;
