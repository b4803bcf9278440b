"""Time-driven jobs: the reminder ladder, escalations and digests."""
