"""The local stack (Kafka, FerretDB, Kannel) as plain processes; see cli.py for the commands."""
