"""QA's rules: the FollowUp aggregate and the sampling policy."""
