"""Reference matrices for severity and priority. Pure: no database."""

from __future__ import annotations

import pytest

from tickets.triage import priority_from_impact_urgency, severity_from_matrix


@pytest.mark.parametrize(
    ("impact", "users_affected", "expected"),
    [
        ("complete_block", "one", "sev3"),
        ("complete_block", "multiple", "sev2"),
        ("complete_block", "all", "sev1"),
        ("major_impairment", "one", "sev4"),
        ("major_impairment", "multiple", "sev3"),
        ("major_impairment", "all", "sev2"),
        ("minor_impairment", "one", "sev5"),
        ("minor_impairment", "multiple", "sev4"),
        ("minor_impairment", "all", "sev3"),
    ],
)
def test_severity_matrix_cell(impact: str, users_affected: str, expected: str) -> None:
    assert severity_from_matrix(impact=impact, users_affected=users_affected) == expected


@pytest.mark.parametrize(
    ("_case", "impact", "users_affected"),
    [
        ("unknown impact", "catastrophe", "all"),
        ("unknown users affected", "complete_block", "some"),
        ("empty words", "", ""),
    ],
)
def test_severity_matrix_refuses_unknown_words(_case: str, impact: str, users_affected: str) -> None:
    with pytest.raises(ValueError, match="Unknown impact/users_affected pair"):
        severity_from_matrix(impact=impact, users_affected=users_affected)


@pytest.mark.parametrize(
    ("impact", "urgency", "expected"),
    [
        ("many", "complete_block", "p1"),
        ("many", "significant_block", "p2"),
        ("many", "partial_block", "p3"),
        ("many", "minor", "p4"),
        ("many", "future", "p5"),
        ("multiple", "complete_block", "p2"),
        ("multiple", "significant_block", "p2"),
        ("multiple", "partial_block", "p3"),
        ("multiple", "minor", "p4"),
        ("multiple", "future", "p5"),
        ("single", "complete_block", "p3"),
        ("single", "significant_block", "p3"),
        ("single", "partial_block", "p3"),
        ("single", "minor", "p4"),
        ("single", "future", "p5"),
        ("enhancement", "complete_block", "p5"),
        ("enhancement", "minor", "p5"),
        ("enhancement", "future", "p5"),
    ],
)
def test_priority_from_impact_urgency(impact: str, urgency: str, expected: str) -> None:
    assert priority_from_impact_urgency(impact=impact, urgency=urgency) == expected


@pytest.mark.parametrize(
    ("_case", "impact", "urgency"),
    [
        ("unknown impact", "everyone", "minor"),
        ("unknown urgency", "many", "asap"),
    ],
)
def test_priority_refuses_unknown_words(_case: str, impact: str, urgency: str) -> None:
    with pytest.raises(ValueError, match="Unknown impact/urgency pair"):
        priority_from_impact_urgency(impact=impact, urgency=urgency)
