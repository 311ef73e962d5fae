"""Running plans: the only place that waits, retries, breaks circuits and degrades."""
