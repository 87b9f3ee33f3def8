"""Grading of every item kind; unreadable responses are a format error, not a wrong answer."""

from __future__ import annotations

import pytest

from services.assessments.grading import ResponseFormatError, grade

CHOICES = ["red", "green", "blue"]


@pytest.mark.parametrize(
    ("kind", "answer", "response", "correct"),
    [
        ("single_choice", {"correct": 1}, "1", True),
        ("single_choice", {"correct": 1}, "2", False),
        ("multiple_choice", {"correct": [0, 2]}, "2, 0", True),
        ("multiple_choice", {"correct": [0, 2]}, "0", False),
        ("numeric", {"value": 3.14, "tolerance": 0.01}, "3.145", True),
        ("numeric", {"value": 3.14, "tolerance": 0.01}, "3,14", True),
        ("numeric", {"value": 3.14, "tolerance": 0.01}, "3.2", False),
        ("short_text", {"accepted": ["Mitochondria"], "mode": "exact"}, "  mitochondria ", True),
        (
            "short_text",
            {"accepted": ["Paris"], "mode": "exact", "case_sensitive": True},
            "paris",
            False,
        ),
        ("short_text", {"accepted": [r"\d+ ?cm"], "mode": "regex"}, "12 cm", True),
        ("short_text", {"accepted": [r"\d+ ?cm"], "mode": "regex"}, "12 m", False),
        ("algebraic", {"accepted": ["$$2(x+1)$$"]}, "2x+2", True),
        ("algebraic", {"accepted": ["$$2(x+1)$$"]}, "2x+1", False),
    ],
)
def test_grade(kind: str, answer: dict[str, object], response: str, correct: bool) -> None:
    result = grade(kind, answer, CHOICES, response)
    assert result.correct is correct
    assert result.score == (1.0 if correct else 0.0)


@pytest.mark.parametrize(
    ("kind", "answer", "response"),
    [
        ("single_choice", {"correct": 0}, "7"),
        ("single_choice", {"correct": 0}, "0,1"),
        ("multiple_choice", {"correct": [0]}, "a"),
        ("numeric", {"value": 1}, "one"),
        ("algebraic", {"accepted": ["x"]}, "import os"),
    ],
)
def test_unreadable_responses_are_format_errors(
    kind: str, answer: dict[str, object], response: str
) -> None:
    with pytest.raises(ResponseFormatError):
        grade(kind, answer, CHOICES, response)


def test_an_unreadable_key_does_not_break_the_readable_ones() -> None:
    key = {"accepted": [r"\mathbb{R}", "x"]}
    assert grade("algebraic", key, CHOICES, "x").correct
    assert not grade("algebraic", key, CHOICES, "y").correct
