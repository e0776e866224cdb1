"""Notify's rules: the Notification aggregate, its retry policy and the texts customers read."""
