"""Mathematical equivalence of answers (``2x+2`` vs ``2(x+1)``, ``\\frac{1}{2}`` vs ``0.5``).

Answers (plain text or the content pack's LaTeX) are normalised to a small expression language,
checked against a whitelist (numbers, one-letter variables, ``pi``, ``e`` and a few functions;
nothing else reaches sympy's parser, which evaluates Python), parsed without evaluation, and
compared numerically at several points: equal values at every point (relative tolerance
1e-6) means equivalent. Equations are equivalent when their sides' differences are proportional.
Inputs are bounded (length, nesting, powers) so no answer can make grading slow.
"""

from __future__ import annotations

import math
import random
import re
from functools import lru_cache
from tokenize import TokenError
from typing import Any

MAX_LENGTH = 300
MAX_POWERS = 4
MAX_DEPTH = 12
MAX_EXPONENT = 1000
FUNCTIONS = ("sqrt", "sin", "cos", "tan", "asin", "acos", "atan", "log", "ln", "exp", "Abs")
CONSTANTS = ("pi", "E")
_LATEX_WORDS = {
    r"\cdot": "*",
    r"\times": "*",
    r"\div": "/",
    r"\pi": " pi ",
    r"\sin": " sin",
    r"\cos": " cos",
    r"\tan": " tan",
    r"\arcsin": " asin",
    r"\arccos": " acos",
    r"\arctan": " atan",
    r"\ln": " ln",
    r"\log": " log",
    r"\exp": " exp",
    r"\infty": " oo_not_allowed ",
}
_TOKEN = re.compile(r"\s*(?:(\d+\.?\d*|\.\d+)|([A-Za-z_]+)|(\*\*|[-+*/()^=,]))")


class ExpressionError(ValueError):
    """The answer cannot be read as a supported mathematical expression."""


def _replace_group(text: str, command: str, template: str, arity: int) -> str:
    """Rewrite ``\\command{a}{b}`` (nested braces allowed) with ``template.format(a, b)``."""
    while True:
        start = text.find(command + "{")
        if start < 0:
            return text
        position = start + len(command)
        args = []
        for _ in range(arity):
            if position >= len(text) or text[position] != "{":
                raise ExpressionError(f"{command} needs {arity} braced argument(s)")
            depth, end = 0, position
            while end < len(text):
                depth += {"{": 1, "}": -1}.get(text[end], 0)
                if depth == 0:
                    break
                end += 1
            if depth:
                raise ExpressionError("unbalanced braces")
            args.append(text[position + 1 : end])
            position = end + 1
        text = text[:start] + template.format(*args) + text[position:]


def latex_to_text(answer: str) -> str:
    """A LaTeX or plain answer as plain expression text (``\\frac{a}{b}`` → ``((a)/(b))``)."""
    text = answer.strip().strip("$").strip()
    text = text.replace("\\left", "").replace("\\right", "")
    text = re.sub(r"\\[,;!: ]|~", " ", text)
    text = text.replace("−", "-").replace("×", "*").replace("÷", "/").replace("·", "*")
    text = text.replace("π", " pi ")
    for command in ("\\dfrac", "\\tfrac", "\\frac"):
        text = _replace_group(text, command, "(({0})/({1}))", 2)
    text = re.sub(r"\\sqrt\[([^\]]+)\]\{", r"\\root{\1}{", text)
    text = _replace_group(text, "\\root", "(({1})**(1/({0})))", 2)
    text = _replace_group(text, "\\sqrt", "sqrt({0})", 1)
    for word, replacement in _LATEX_WORDS.items():
        text = text.replace(word, replacement)
    if "\\" in text:
        found = re.search(r"\\[A-Za-z]+", text)
        shown = found.group(0) if found else "\\"
        raise ExpressionError(f"unsupported notation {shown}")
    text = text.replace("{", "(").replace("}", ")").replace("[", "(").replace("]", ")")
    text = re.sub(r"\|([^|]+)\|", r"Abs(\1)", text)
    return text.replace("^", "**")


def _check_tokens(text: str) -> str:
    """Validate against the whitelist; return the text with ``xy`` written ``x*y``."""
    position, depth, powers = 0, 0, 0
    text = text.rstrip()
    out = []
    while position < len(text):
        match = _TOKEN.match(text, position)
        if match is None:
            raise ExpressionError(f"unexpected character {text[position]!r}")
        number, name, symbol = match.groups()
        if name is not None and not (name in FUNCTIONS or name in CONSTANTS):
            if "_" in name or len(name) > 4:
                raise ExpressionError(f"unknown name {name!r}")
            name = "*".join(name)
        if number is not None and len(number) > 20:
            raise ExpressionError("number too long")
        if symbol == "(":
            depth += 1
            if depth > MAX_DEPTH:
                raise ExpressionError("too deeply nested")
        elif symbol == ")":
            depth -= 1
        elif symbol == "**":
            powers += 1
        out.append(f" {number or name or symbol}")
        position = match.end()
    if powers > MAX_POWERS:
        raise ExpressionError("too many powers")
    return "".join(out)


@lru_cache(maxsize=4096)
def parse(answer: str) -> tuple[Any, ...]:
    """The answer as sympy expressions: one per side of ``=`` (1 for a plain expression)."""
    if len(answer) > MAX_LENGTH:
        raise ExpressionError(f"answer longer than {MAX_LENGTH} characters")
    text = latex_to_text(answer)
    if not text.strip():
        raise ExpressionError("empty answer")
    text = _check_tokens(text)
    sides = text.split("=")
    if len(sides) > 2:
        raise ExpressionError("more than one '='")
    parsed = tuple(_parse_side(side) for side in sides)
    for expr in parsed:
        if not getattr(expr, "is_Atom", None) and not hasattr(expr, "free_symbols"):
            raise ExpressionError("not a single expression")
        _check_powers(expr)
    return parsed


def _check_powers(expr: Any) -> None:
    """Refuse huge constant exponents (``9^9^9``) before anything is evaluated (bottom-up)."""
    for arg in expr.args:
        _check_powers(arg)
    if expr.is_Pow and not expr.exp.free_symbols:
        try:
            exponent = abs(complex(expr.exp.evalf(15)))
        except (TypeError, ValueError, OverflowError):
            raise ExpressionError("exponent cannot be evaluated") from None
        if not math.isfinite(exponent) or exponent > MAX_EXPONENT:
            raise ExpressionError(f"exponent larger than {MAX_EXPONENT}")


def _parse_side(text: str) -> Any:
    import sympy
    from sympy.parsing.sympy_parser import (
        convert_xor,
        implicit_multiplication_application,
        parse_expr,
        standard_transformations,
    )

    names: dict[str, Any] = {
        "sqrt": sympy.sqrt,
        "sin": sympy.sin,
        "cos": sympy.cos,
        "tan": sympy.tan,
        "asin": sympy.asin,
        "acos": sympy.acos,
        "atan": sympy.atan,
        "log": sympy.log,
        "ln": sympy.log,
        "exp": sympy.exp,
        "Abs": sympy.Abs,
        "pi": sympy.pi,
        "E": sympy.E,
        "e": sympy.E,
    }
    safe_globals: dict[str, Any] = {
        "__builtins__": {},
        "Integer": sympy.Integer,
        "Float": sympy.Float,
        "Rational": sympy.Rational,
        "Symbol": sympy.Symbol,
        "Add": sympy.Add,
        "Mul": sympy.Mul,
        "Pow": sympy.Pow,
    }
    if not text.strip():
        raise ExpressionError("empty side of '='")
    try:
        return parse_expr(
            text,
            local_dict=names,
            global_dict=safe_globals,
            transformations=(
                *standard_transformations,
                implicit_multiplication_application,
                convert_xor,
            ),
            evaluate=False,
        )
    except (
        SyntaxError,
        TypeError,
        ValueError,
        AttributeError,
        NameError,
        ZeroDivisionError,
    ) as exc:
        raise ExpressionError(f"cannot read the expression ({type(exc).__name__})") from None
    except TokenError:  # Python's tokenizer ran out of input inside a bracket
        raise ExpressionError("unbalanced brackets") from None


def _value(expr: Any, point: dict[Any, float]) -> complex | None:
    try:
        value = complex(expr.evalf(15, subs=point))
    except (TypeError, ValueError, OverflowError, ZeroDivisionError, AttributeError):
        return None
    if not (math.isfinite(value.real) and math.isfinite(value.imag)) or abs(value.imag) > 1e-9:
        return None
    return value


def _close(a: complex, b: complex, rel: float = 1e-6, abs_: float = 1e-9) -> bool:
    return abs(a - b) <= max(abs_, rel * max(abs(a), abs(b)))


def _sample_points(symbols: list[Any], seed: str) -> list[dict[Any, float]]:
    rng = random.Random(seed)  # noqa: S311 - sample points, not secrets
    return [{s: rng.uniform(0.3, 2.7) for s in symbols} for _ in range(7)]


def equivalent(answer: str, expected: str) -> bool:
    """True when ``answer`` is mathematically equivalent to ``expected``."""
    got, want = parse(answer), parse(expected)
    if len(got) != len(want):
        return False
    if len(got) == 2:
        got_expr, want_expr = got[0] - got[1], want[0] - want[1]
    else:
        got_expr, want_expr = got[0], want[0]
    symbols = sorted(got_expr.free_symbols | want_expr.free_symbols, key=str)
    if len(got) == 1 and not symbols:
        a, b = _value(got_expr, {}), _value(want_expr, {})
        return a is not None and b is not None and _close(a, b)
    ratios: list[complex] = []
    checked = 0
    for point in _sample_points(symbols, f"{answer}|{expected}"):
        a, b = _value(got_expr, point), _value(want_expr, point)
        if a is None or b is None:
            continue
        checked += 1
        if len(got) == 1:
            if not _close(a, b):
                return False
        elif abs(b) < 1e-12:
            if abs(a) > 1e-9:
                return False
        else:
            ratios.append(a / b)
    if checked < 3:
        return False
    return all(_close(r, ratios[0]) for r in ratios) and (not ratios or abs(ratios[0]) > 1e-12)
