"""Dispatch's rules: the Dispatch aggregate and the routing rule table."""
