"""Reference matrices that turn plain-word impact into severity and priority. Pure."""

from __future__ import annotations


def severity_from_matrix(*, impact: str, users_affected: str) -> str:
    """Return the severity for an impact × users-affected pair (reference severity matrix).

    impact: "complete_block" | "major_impairment" | "minor_impairment";
    users_affected: "one" | "multiple" | "all". Raises ValueError on anything else.
    """
    matrix = {
        "complete_block": {"one": "sev3", "multiple": "sev2", "all": "sev1"},
        "major_impairment": {"one": "sev4", "multiple": "sev3", "all": "sev2"},
        "minor_impairment": {"one": "sev5", "multiple": "sev4", "all": "sev3"},
    }
    try:
        return matrix[impact][users_affected]
    except KeyError as error:
        raise ValueError(f"Unknown impact/users_affected pair: {impact!r}/{users_affected!r}") from error


def priority_from_impact_urgency(*, impact: str, urgency: str) -> str:
    """Return the priority for a plain-words impact × urgency pair (reference prioritization matrix).

    impact: "many" (many users or revenue) | "multiple" | "single" | "enhancement";
    urgency: "complete_block" | "significant_block" | "partial_block" | "minor" | "future".
    The highest priority either dimension supports wins, bounded by the impact's ceiling.
    Raises ValueError on unknown words.
    """
    impact_rank = {"many": 1, "multiple": 2, "single": 3, "enhancement": 5}
    urgency_rank = {"complete_block": 1, "significant_block": 2, "partial_block": 3, "minor": 4, "future": 5}
    if impact not in impact_rank or urgency not in urgency_rank:
        raise ValueError(f"Unknown impact/urgency pair: {impact!r}/{urgency!r}")
    if impact == "enhancement" or urgency == "future":
        return "p5"
    return f"p{max(impact_rank[impact], urgency_rank[urgency])}"
