"""The base of every domain error: a rule says this message can never be taken as it stands.

It is the consumer's `Rejected`, so a domain error sends the message to the dead-letter topic with the
rule's words as the reason, instead of being retried.
"""

from plumbing.errors import Rejected


class DomainError(Rejected):
    pass
