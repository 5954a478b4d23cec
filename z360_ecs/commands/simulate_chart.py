"""The `simulate --chart` SVG: a simulation's task counts and CPU utilisation over time."""

from __future__ import annotations

from z360_ecs.models.target_tracking import SimulationResult


def render_svg(result: SimulationResult, width: int = 800, height: int = 360) -> str:
    """Task counts (left axis) and CPU utilisation (right axis, 0-100 %) over time."""
    left, right, top, bottom = 50, 50, 30, 40
    plot_w, plot_h = width - left - right, height - top - bottom
    count = max(1, len(result.minutes) - 1)
    peak = max([result.service.max_capacity] + [m.desired for m in result.minutes])
    top_tasks = max(1, peak)

    def x(minute: float) -> float:
        return left + plot_w * minute / count

    def y_tasks(value: float) -> float:
        return top + plot_h * (1 - value / top_tasks)

    def y_pct(value: float) -> float:
        return top + plot_h * (1 - value / 100)

    def path(points: list[tuple[float, float]]) -> str:
        return " ".join(f"{'M' if i == 0 else 'L'}{px:.1f},{py:.1f}"
                        for i, (px, py) in enumerate(points))

    def steps(values: list[int]) -> list[tuple[float, float]]:
        points = []
        for i, value in enumerate(values):
            points += [(x(i), y_tasks(value)), (x(min(i + 1, count)), y_tasks(value))]
        return points

    cpu = [(x(m.minute), y_pct(m.cpu)) for m in result.minutes if m.cpu is not None]
    s = result.service
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'font-family="sans-serif" font-size="11">',
        f'<title>{s.name}: {result.profile}</title>',
        f'<rect x="{left}" y="{top}" width="{plot_w}" height="{plot_h}" fill="none" '
        'stroke="#999"/>',
        f'<text x="{left}" y="18" font-size="13">{s.name}: tasks and CPU under {result.profile}'
        '</text>',
        f'<line x1="{left}" x2="{left + plot_w}" y1="{y_pct(s.cpu_target):.1f}" '
        f'y2="{y_pct(s.cpu_target):.1f}" stroke="#ff7f0e" stroke-dasharray="4 3"/>',
        f'<text x="{left + plot_w + 4}" y="{y_pct(s.cpu_target):.1f}">target '
        f'{s.cpu_target:g}%</text>',
        f'<line x1="{left}" x2="{left + plot_w}" y1="{y_tasks(s.max_capacity):.1f}" '
        f'y2="{y_tasks(s.max_capacity):.1f}" stroke="#d62728" stroke-dasharray="2 2"/>',
        f'<text x="{left + 4}" y="{y_tasks(s.max_capacity) - 3:.1f}" fill="#d62728">max '
        f'{s.max_capacity}</text>',
        f'<path d="{path(steps([m.desired for m in result.minutes]))}" fill="none" '
        'stroke="#1f77b4" stroke-width="2"/>',
        f'<path d="{path(steps([m.running for m in result.minutes]))}" fill="none" '
        'stroke="#2ca02c" stroke-width="2" stroke-dasharray="5 3"/>',
    ]
    if cpu:
        parts.append(f'<path d="{path(cpu)}" fill="none" stroke="#ff7f0e" stroke-width="1.5"/>')
    for tick in range(0, count + 1, max(1, count // 10)):
        parts.append(f'<text x="{x(tick):.1f}" y="{top + plot_h + 14}" '
                     f'text-anchor="middle">{tick}</text>')
    parts += [
        f'<text x="{left + plot_w / 2}" y="{height - 8}" text-anchor="middle">minute</text>',
        f'<text x="{left - 6}" y="{top + 4}" text-anchor="end">{top_tasks}</text>',
        f'<text x="{left - 6}" y="{top + plot_h}" text-anchor="end">0</text>',
        f'<text x="{left + plot_w + 4}" y="{top + 4}">100%</text>',
        f'<text x="{left}" y="{height - 8}" fill="#1f77b4">desired</text>',
        f'<text x="{left + 50}" y="{height - 8}" fill="#2ca02c">running</text>',
        f'<text x="{left + 100}" y="{height - 8}" fill="#ff7f0e">CPU %</text>',
        "</svg>",
    ]
    return "\n".join(parts) + "\n"
