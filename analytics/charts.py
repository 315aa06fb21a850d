"""Server-side SVG charts for the dashboard: no JavaScript, no CDN, CSP-safe (presentation
attributes and classes only, styled by static/css/analytics.css).

Readable without colour: each series has its own line style and marker shape (created: solid
line, circles; resolved: dashed line, squares), a legend that shows both, direct value labels
on bars, and a <title> on every point, so hovering or a screen reader gives the number.
"""

from datetime import date
from math import ceil, floor, log10

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

WIDTH, HEIGHT = 680, 240
LEFT, RIGHT, TOP, BOTTOM = 44, 16, 28, 34  # the legend sits in the top margin


def nice_max(value: float) -> int:
    """A round axis maximum at or above `value` whose four grid steps are whole numbers."""
    if value <= 0:
        return 4
    raw = value / 4
    magnitude = 10 ** floor(log10(raw)) if raw >= 1 else 1
    for factor in (1, 1.2, 1.5, 2, 2.5, 3, 4, 5, 6, 8, 10):
        step = factor * magnitude
        if step >= raw and step == int(step):
            return int(step * 4)
    return int(ceil(value))


def _label(day: str) -> str:
    return date.fromisoformat(day).strftime("%-d %b")


def _frame(title: str, desc: str, body: list[str], css: str, width: int = WIDTH) -> SafeString:
    # Every interpolated text is escaped above; numbers and our class names are safe.
    return mark_safe(  # noqa: S308
        f'<svg class="chart {css}" viewBox="0 0 {width} {HEIGHT}" role="img" '
        f'aria-label="{escape(title)}" preserveAspectRatio="xMidYMid meet">'
        f"<title>{escape(title)}</title><desc>{escape(desc)}</desc>" + "".join(body) + "</svg>"
    )


def _axes(
    points: int, top: int, days: list[str], width: int
) -> tuple[list[str], callable, callable]:
    plot_w = width - LEFT - RIGHT
    plot_h = HEIGHT - TOP - BOTTOM

    def x(i: int) -> float:
        return LEFT + (plot_w * i / max(points - 1, 1))

    def y(v: float) -> float:
        return TOP + plot_h - plot_h * v / top

    body = []
    for step in range(5):
        value = top * step / 4
        yy = y(value)
        body.append(
            f'<line class="grid" x1="{LEFT}" x2="{width - RIGHT}" y1="{yy:.1f}" y2="{yy:.1f}"/>'
        )
        body.append(
            f'<text class="axis-label" x="{LEFT - 6}" y="{yy + 4:.1f}" text-anchor="end">'
            f"{value:g}</text>"
        )
    every = max(1, ceil(points / (width // 85)))
    for i, day in enumerate(days):
        last = i == points - 1
        if (i % every == 0 and points - 1 - i >= every) or last:
            anchor = "end" if last and points > 1 else "middle"
            body.append(
                f'<text class="axis-label" x="{x(i):.1f}" y="{HEIGHT - 12}" '
                f'text-anchor="{anchor}">{escape(_label(day))}</text>'
            )
    return body, x, y


def _marker(shape: str, cx: float, cy: float, css: str, title: str) -> str:
    t = f"<title>{escape(title)}</title>"
    if shape == "square":
        return (
            f'<rect class="marker {css}" x="{cx - 3.5:.1f}" y="{cy - 3.5:.1f}" '
            f'width="7" height="7">{t}</rect>'
        )
    return f'<circle class="marker {css}" cx="{cx:.1f}" cy="{cy:.1f}" r="3.5">{t}</circle>'


def _legend(items: list[tuple[str, str, str]]) -> str:
    parts, x = [], LEFT
    for label, css, shape in items:
        parts.append(f'<line class="line {css}" x1="{x}" x2="{x + 22}" y1="8" y2="8"/>')
        parts.append(_marker(shape, x + 11, 8, css, label))
        parts.append(f'<text class="legend-label" x="{x + 28}" y="12">{escape(label)}</text>')
        x += 40 + 7 * len(label)
    return '<g class="legend">' + "".join(parts) + "</g>"


def line_chart(
    *,
    title: str,
    days: list[str],
    series: list[tuple[str, str, str, list[int]]],
    width: int = WIDTH,
) -> SafeString:
    """Lines per day. `series`: (label, css class, marker shape, values)."""
    if not days:
        return _frame(title, "No data in this period.", [], "chart-empty", width)
    top = nice_max(max((max(vals, default=0) for *_, vals in series), default=0))
    body, x, y = _axes(len(days), top, days, width)
    for label, css, shape, values in series:
        path = " ".join(
            f"{'M' if i == 0 else 'L'}{x(i):.1f},{y(v):.1f}" for i, v in enumerate(values)
        )
        body.append(f'<path class="line {css}" d="{path}"/>')
        for i, v in enumerate(values):
            body.append(_marker(shape, x(i), y(v), css, f"{_label(days[i])}: {v} {label.lower()}"))
    if len(series) > 1:
        body.append(_legend([(label, css, shape) for label, css, shape, _ in series]))
    desc = "; ".join(
        f"{label}: {sum(values)} in total, highest {max(values, default=0)}"
        for label, _, _, values in series
    )
    return _frame(title, desc, body, "chart-line", width)


def bar_chart(*, title: str, rows: list[tuple[str, int]]) -> SafeString:
    """Horizontal bars, each labelled with its name and value (no colour needed)."""
    if not rows:
        return _frame(title, "No tickets in this period.", [], "chart-empty")
    bar_h, gap, label_w = 20, 8, 150
    height = TOP + len(rows) * (bar_h + gap)
    top = max(value for _, value in rows) or 1
    total = sum(value for _, value in rows) or 1
    plot_w = WIDTH - label_w - 90
    body = []
    for i, (name, value) in enumerate(rows):
        yy = TOP + i * (bar_h + gap)
        w = max(plot_w * value / top, 2)
        share = round(100 * value / total)
        body.append(
            f'<text class="bar-label" x="{label_w - 8}" y="{yy + 14}" text-anchor="end">'
            f"{escape(name[:22])}</text>"
            f'<rect class="bar bar-{i % 4}" x="{label_w}" y="{yy}" width="{w:.1f}" '
            f'height="{bar_h}"><title>{escape(name)}: {value} tickets ({share} %)</title></rect>'
            f'<text class="bar-value" x="{label_w + w + 6:.1f}" y="{yy + 14}">'
            f"{value} · {share} %</text>"
        )
    desc = "; ".join(f"{name}: {value}" for name, value in rows)
    return mark_safe(  # noqa: S308 - names escaped, numbers formatted by us
        f'<svg class="chart chart-bars" viewBox="0 0 {WIDTH} {height}" role="img" '
        f'aria-label="{escape(title)}"><title>{escape(title)}</title><desc>{escape(desc)}</desc>'
        + "".join(body)
        + "</svg>"
    )


def dashboard_charts(summary: dict) -> dict[str, SafeString]:
    volume = summary["series"]["volume"]
    days = [row["date"] for row in volume]
    backlog = summary["series"]["backlog"]
    return {
        "volume": line_chart(
            title="Tickets created and resolved per day",
            days=days,
            width=WIDTH * 2,
            series=[
                ("Created", "series-created", "circle", [r["created"] for r in volume]),
                ("Resolved", "series-resolved", "square", [r["resolved"] for r in volume]),
            ],
        ),
        "backlog": line_chart(
            title="Open tickets at the end of each day",
            days=[row["date"] for row in backlog],
            series=[("Open", "series-backlog", "circle", [r["open"] for r in backlog])],
        ),
        "categories": bar_chart(
            title="Tickets created by category",
            rows=[(r["name"], r["created"]) for r in summary["series"]["categories"]],
        ),
    }
