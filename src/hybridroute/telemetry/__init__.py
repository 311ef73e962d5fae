"""What happened to each request: one DecisionRecord, handed to every configured sink."""

from hybridroute.telemetry.record import DecisionRecord, Sink

__all__ = ["DecisionRecord", "Sink"]
