"""Plumbing every service shares: settings, bus, store, outbox, telemetry. No business logic here."""
