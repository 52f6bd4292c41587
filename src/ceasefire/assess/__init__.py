"""Assessment: the mandate's rules → violations, attribution, response, escalation."""

from ceasefire.assess.compare import Comparison, compare
from ceasefire.assess.judge import UNDETERMINED, assess, violation_id
from ceasefire.assess.ladder import escalate
from ceasefire.assess.notify import notices
from ceasefire.assess.sides import AttributionConfig, p_left

__all__ = [
    "UNDETERMINED",
    "AttributionConfig",
    "Comparison",
    "assess",
    "compare",
    "escalate",
    "notices",
    "p_left",
    "violation_id",
]
