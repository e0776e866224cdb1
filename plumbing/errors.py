"""The one verdict a handler gives the consumer about a message: it can never be taken as it stands.

A module of its own, free of any driver, so domain code can raise its errors without importing the bus.
"""


class Rejected(Exception):
    """This message can never be processed (e.g. a reply to an unknown dispatch): dead-letter it."""
