"""Voice routing decisions: where the CTI puts a call that has just arrived (which agent group, how far
up its queue), from the caller's number, where the directory says the caller stands, and how busy each
group is, all kept in this replica's memory (services/gateway/voice_routing/feeds.py) so that a decision
makes no store or bus round trip."""
