"""Intake's rules: the WorkOrder aggregate and the caller's home region."""
