"""The dashboard as a PDF report: title, period, generated-at, each chart with its table, page
numbers. Drawn with matplotlib's non-interactive backend, so it runs headless (`triage report`)
and the desktop app exports the very same file."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from .dashboard import Dashboard, Table

A4 = (8.27, 11.69)
TOPIC_COLOURS = {"SEND": "#6a1b9a", "Tribunal": "#1565c0", "School place": "#2e7d32", "Other": "#9e9e9e"}
URGENCY_COLOURS = {"Urgent": "#c62828", "High": "#ef6c00", "Normal": "#546e7a", "Low": "#9e9e9e"}


def write_pdf(dash: Dashboard, path: Path) -> int:
    """Write the report; returns the number of pages."""
    import matplotlib

    matplotlib.use("Agg", force=True)
    from matplotlib.backends.backend_pdf import PdfPages
    from matplotlib.figure import Figure

    sections = [
        ("weekly", _stacked_bars), ("urgency_open", _bars), ("backlog", _stacked_bars),
        ("time_to_done", _percentile_bars), ("time_to_done_weekly", _percentile_bars),
        ("safeguarding", None), ("oldest_urgent", None), ("deadlines", None), ("staff", None),
        ("model_health", None),
    ]
    path.parent.mkdir(parents=True, exist_ok=True)
    pages = 0
    period = f"{dash.date_from.isoformat()} to {dash.date_to.isoformat()}"
    if dash.staff:
        period += f" · {dash.staff}"
    with PdfPages(path, metadata={"Title": "Triage Desk report", "Creator": "Triage Desk"}) as pdf:
        # Two sections a page: a chart (where the table has one) above its table.
        for i in range(0, len(sections), 2):
            fig = Figure(figsize=A4)
            pages += 1
            if i == 0:
                fig.text(0.08, 0.965, "Triage Desk — office report", fontsize=18, weight="bold")
                fig.text(0.08, 0.945, f"Period {period}   ·   generated {dash.generated_at}", fontsize=9,
                         color="#555555")
            for slot, (key, chart) in enumerate(sections[i:i + 2]):
                table = dash.tables[key]
                top = 0.90 - slot * 0.46
                if chart is not None and _has_numbers(table):
                    ax = fig.add_axes((0.10, top - 0.20, 0.82, 0.17))
                    chart(ax, table)
                    _table(fig, table, (0.08, top - 0.44, 0.84, 0.21))
                else:
                    _table(fig, table, (0.08, top - 0.42, 0.84, 0.40))
                fig.text(0.08, top + 0.005, table.title, fontsize=12, weight="bold")
                if table.note:
                    fig.text(0.08, top - 0.015, table.note, fontsize=7, color="#555555")
            fig.text(0.5, 0.02, f"Page {pages}", ha="center", fontsize=8, color="#555555")
            pdf.savefig(fig)
    return pages


def _has_numbers(table: Table) -> bool:
    return any(isinstance(v, (int, float)) and v for row in table.rows for v in row[1:])


def _table(fig: Any, table: Table, box: tuple[float, float, float, float]) -> None:
    ax = fig.add_axes(box)
    ax.axis("off")
    if not table.rows:
        ax.text(0, 0.9, "Nothing in this period.", fontsize=9, color="#555555", transform=ax.transAxes)
        return
    rows = [[_cell(v) for v in row] for row in table.rows[:22]]
    t = ax.table(cellText=rows, colLabels=table.columns, loc="upper left", cellLoc="left")
    t.auto_set_font_size(False)
    t.set_fontsize(7)
    t.scale(1, 1.2)
    for (r, _c), cell in t.get_celld().items():
        cell.set_edgecolor("#dddddd")
        if r == 0:
            cell.set_text_props(weight="bold")
            cell.set_facecolor("#f0f2f5")
    if len(table.rows) > 22:
        ax.text(0, -0.02, f"… and {len(table.rows) - 22} more rows (see the CSV export)", fontsize=7,
                transform=ax.transAxes)


def _cell(value: Any) -> str:
    if value is None:
        return "–"
    text = str(value)
    return text if len(text) <= 48 else text[:47] + "…"


def _stacked_bars(ax: Any, table: Table) -> None:
    labels = [str(r[0]) for r in table.rows]
    bottoms = [0.0] * len(labels)
    for j, name in enumerate(table.columns[1:-1], start=1):
        values = [float(r[j] or 0) for r in table.rows]
        ax.bar(range(len(labels)), values, bottom=bottoms, label=name, color=TOPIC_COLOURS.get(name))
        bottoms = [b + v for b, v in zip(bottoms, values)]
    _axes(ax, labels)
    ax.legend(fontsize=7, ncol=4, frameon=False)


def _bars(ax: Any, table: Table) -> None:
    labels = [str(r[0]) for r in table.rows]
    ax.bar(range(len(labels)), [float(r[1] or 0) for r in table.rows],
           color=[URGENCY_COLOURS.get(label, "#546e7a") for label in labels])
    _axes(ax, labels)


def _percentile_bars(ax: Any, table: Table) -> None:
    labels = [str(r[0]) for r in table.rows]
    xs = range(len(labels))
    ax.bar([x - 0.2 for x in xs], [float(r[2] or 0) for r in table.rows], width=0.4, label="Median",
           color="#1565c0")
    ax.bar([x + 0.2 for x in xs], [float(r[3] or 0) for r in table.rows], width=0.4, label="90th percentile",
           color="#90caf9")
    _axes(ax, labels)
    ax.set_ylabel("days", fontsize=7)
    ax.legend(fontsize=7, frameon=False)


def _axes(ax: Any, labels: list[str]) -> None:
    step = max(1, len(labels) // 12)
    ax.set_xticks(range(0, len(labels), step))
    ax.set_xticklabels(labels[::step], fontsize=7, rotation=0)
    ax.tick_params(axis="y", labelsize=7)
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
