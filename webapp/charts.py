"""Chart geometry and colours computed on the server (SVG in templates; every chart has a
table with the same numbers next to it)."""

from __future__ import annotations

from dataclasses import dataclass

BAR_HEIGHT = 22
BAR_GAP = 8
LABEL_WIDTH = 220
PLOT_WIDTH = 360


@dataclass(frozen=True)
class Bar:
    """One horizontal bar of the mastery chart."""

    label: str
    value: float
    y: int
    width: float
    mastered: bool


def mastery_bars(rows: list[tuple[str, float]], threshold: float = 0.95) -> list[Bar]:
    """Bars for ``(skill, mastery)`` rows, highest mastery first."""
    ordered = sorted(rows, key=lambda r: (-r[1], r[0]))
    return [
        Bar(
            label=skill,
            value=value,
            y=i * (BAR_HEIGHT + BAR_GAP),
            width=round(max(0.0, min(1.0, value)) * PLOT_WIDTH, 1),
            mastered=value >= threshold,
        )
        for i, (skill, value) in enumerate(ordered)
    ]


def chart_height(bars: list[Bar]) -> int:
    """SVG height for ``bars`` (axis included)."""
    return len(bars) * (BAR_HEIGHT + BAR_GAP) + 24


def _channel(c: float) -> float:
    c /= 255
    return c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4


def luminance(rgb: tuple[int, int, int]) -> float:
    """WCAG relative luminance."""
    r, g, b = (_channel(float(c)) for c in rgb)
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def contrast(a: tuple[int, int, int], b: tuple[int, int, int]) -> float:
    """WCAG contrast ratio of two colours."""
    high, low = sorted((luminance(a), luminance(b)), reverse=True)
    return (high + 0.05) / (low + 0.05)


LOW, HIGH = (255, 247, 236), (8, 81, 156)  # light cream → dark blue
BLACK, WHITE = (0, 0, 0), (255, 255, 255)


def heat(value: float) -> tuple[str, str]:
    """Background and text colour of a heat-map cell for ``value`` in [0, 1]; the text colour
    is whichever of black and white contrasts more (≥ 4.5:1 for every value)."""
    t = max(0.0, min(1.0, value))
    rgb = tuple(round(lo + (hi - lo) * t) for lo, hi in zip(LOW, HIGH, strict=True))
    colour = (rgb[0], rgb[1], rgb[2])
    text = BLACK if contrast(colour, BLACK) >= contrast(colour, WHITE) else WHITE
    return "#{:02x}{:02x}{:02x}".format(*colour), "#{:02x}{:02x}{:02x}".format(*text)
