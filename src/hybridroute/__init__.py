"""hybridroute: send each LLM request to the cheapest tier that is good enough, fast enough
and allowed to see the data.

    from hybridroute import Router, load_config, Request
    router = Router.from_config(load_config())
    routed = await router.complete(Request.from_prompt("Hello"))
"""

from hybridroute.config import HybridRouteConfig, load_config
from hybridroute.context import Hints, Mode, Principal, Quality, RequestContext
from hybridroute.errors import (
    AuthFailed,
    BadRequest,
    BadResponse,
    CircuitOpen,
    ConfigError,
    ConnectFailed,
    ConnectTimeout,
    ContextOverflow,
    DeadlineExceeded,
    HybridRouteError,
    NoEligibleTier,
    RateLimited,
    ReadTimeout,
    SensitiveDataBlocked,
    TierError,
    TierTimeout,
    TierUnavailable,
    Unsupported,
)
from hybridroute.plans import Decision, Direct, Masked, Reason, Refuse
from hybridroute.router import Routed, RoutedStream, Router
from hybridroute.telemetry import DecisionRecord
from hybridroute.tiers.base import Health, HealthStatus, LatencyProfile, Tier, TierInfo
from hybridroute.types import (
    Completion,
    Delta,
    Location,
    Message,
    Request,
    Timings,
    TokenStat,
    Usage,
)

__version__ = "0.1.0"

__all__ = [
    "AuthFailed",
    "BadRequest",
    "BadResponse",
    "CircuitOpen",
    "Completion",
    "ConfigError",
    "ConnectFailed",
    "ConnectTimeout",
    "ContextOverflow",
    "DeadlineExceeded",
    "Decision",
    "DecisionRecord",
    "Delta",
    "Direct",
    "Health",
    "HealthStatus",
    "Hints",
    "HybridRouteConfig",
    "HybridRouteError",
    "LatencyProfile",
    "Location",
    "Masked",
    "Message",
    "Mode",
    "NoEligibleTier",
    "Principal",
    "Quality",
    "RateLimited",
    "ReadTimeout",
    "Reason",
    "Refuse",
    "Request",
    "RequestContext",
    "Routed",
    "RoutedStream",
    "Router",
    "SensitiveDataBlocked",
    "Tier",
    "TierError",
    "TierInfo",
    "TierTimeout",
    "TierUnavailable",
    "Timings",
    "TokenStat",
    "Unsupported",
    "Usage",
    "load_config",
]
