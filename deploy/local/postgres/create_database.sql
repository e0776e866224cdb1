-- The database FerretDB keeps its collections in (one schema per MongoDB database), made once.
SELECT 'CREATE DATABASE ferretdb' WHERE NOT EXISTS (SELECT FROM pg_database WHERE datname = 'ferretdb')\gexec
