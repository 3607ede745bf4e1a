"""The decision brief, robustness of levers, times to events, report.html, figures, provenance,
and sweeps from a plain script."""

import hashlib
import json
import re
import subprocess
import sys
import textwrap

import numpy as np
import pandas as pd
import pytest
from sweep_helpers import REPO, write_config

from escalation_sim.cli import main
from escalation_sim.experiments import analysis, brief, robustness, run_sweep, survival
from escalation_sim.experiments.config import parse_config, resolve
from escalation_sim.scenario.loader import resolve_scenario_path

# ---------------------------------------------------------------------------------------------
# synthetic runs with known probabilities: no model runs needed

GRID = """
name = "synthetic"
weeks = 4
outcomes = ["isis_resurgence"]
[seeds]
per_point = {seeds}
[design.parameters]
border_hardening = {{ values = [0.0, 1.0] }}
syria_collapse = {{ values = [0.0, 1.0] }}
[baseline]
border_hardening = 0.0
syria_collapse = 0.0
[analysis]
resamples = 999
{extra}
"""

ROBUST = """
[robustness]
levers = ["border_hardening"]
uncertainties = ["syria_collapse"]
target = 0.25
"""

#: P(resurgence) at (border_hardening, syria_collapse).
TRUE_P = {(0.0, 0.0): 0.1, (1.0, 0.0): 0.3, (0.0, 1.0): 0.6, (1.0, 1.0): 0.2}


def synthetic(seeds: int, extra: str = ""):
    exp = resolve(parse_config(GRID.format(seeds=seeds, extra=extra)))
    rows = []
    for p in exp.design.points:
        key = (p.params["border_hardening"], p.params["syria_collapse"])
        k = round(TRUE_P[key] * seeds)  # exactly this share of the seeds
        for i in range(seeds):
            rows.append(
                {
                    "point_id": p.point_id,
                    "seed_index": i,
                    "seed": i,
                    **p.params,
                    "status": "ok",
                    "isis_resurgence": i < k,
                }
            )
    return exp, pd.DataFrame(rows)


def test_estimative_words_follow_icd_203():
    assert brief.estimative(0.01) == "almost no chance"
    assert brief.estimative(0.10) == "very unlikely"
    assert brief.estimative(0.50) == "roughly even chance"
    assert brief.estimative(0.90) == "very likely"
    assert brief.estimative(0.99) == "almost certain"
    assert brief.estimative_range(0.3, 0.4) == "unlikely"
    assert brief.estimative_range(0.1, 0.6) == "very unlikely to likely"


def test_brief_contrasts_the_lever_at_each_level_of_the_other():
    exp, runs = synthetic(20)
    cs = brief.contrasts(runs, exp, "isis_resurgence", "border_hardening")
    assert [c.where for c in cs] == [{"syria_collapse": 0.0}, {"syria_collapse": 1.0}]
    assert cs[0].diff[0] == pytest.approx(0.2) and cs[1].diff[0] == pytest.approx(-0.4)
    assert cs[1].diff[2] < 0  # -40 points at 20 seeds: the interval excludes zero
    summary = analysis.summarise(runs, exp)
    text = "\n".join(brief.brief(runs, exp, summary))
    assert text.startswith("## Brief")
    assert "ICD 203" in text and "`syria_collapse` = 1" in text and "-40 points" in text
    assert "Too few seeds" in text  # 20 seeds: +-20 points, wider than +-10
    assert "What drives it most is `syria_collapse`" in text


def test_brief_does_not_warn_with_enough_seeds():
    exp, runs = synthetic(400)
    summary = analysis.summarise(runs, exp)
    assert "Too few seeds" not in "\n".join(brief.brief(runs, exp, summary))
    assert brief.seeds_for_precision(0.1) == 97


def test_regret_and_satisficing_of_known_probabilities():
    exp, runs = synthetic(20, ROBUST)
    table = robustness.analyse(runs, exp).set_index("border_hardening")
    # regret: hardening 0 loses 0.4 when Syria collapses; hardening 1 loses 0.2 without collapse
    assert table.loc[0.0, "max_regret"] == pytest.approx(0.4)
    assert table.loc[1.0, "max_regret"] == pytest.approx(0.2)
    assert table.loc[0.0, "mean_regret"] == pytest.approx(0.2)
    assert table.loc[1.0, "satisficing"] == pytest.approx(0.5)  # 0.2 <= 0.25 in one world of 2
    assert table.index[0] == 1.0  # the minimax-regret setting comes first
    for name in ("max_regret", "mean_regret", "satisficing"):
        assert (table[f"{name}_low"] <= table[name] + 1e-9).all()
        assert (table[name] <= table[f"{name}_high"] + 1e-9).all()
    lines = robustness.section(robustness.analyse(runs, exp), exp)
    assert "minimax regret" in "\n".join(lines)


def test_robustness_config_is_checked():
    from escalation_sim.errors import ConfigError

    bad = GRID.format(seeds=2, extra=ROBUST.replace('["border_hardening"]', '["nope"]'))
    with pytest.raises(ConfigError, match=r"robustness.levers\[0\]"):
        resolve(parse_config(bad))


# ---------------------------------------------------------------------------------------------
# a small real sweep: report, survival, html, provenance

SMALL = """
name = "small"
weeks = 12
outcomes = ["isis_resurgence", "isis_attacks_iraq_total", "israeli_strikes_iraq_total"]
[seeds]
root = 5
per_point = 3
[overrides]
syria_collapse = 1.0
iran_launch_intensity = 1.0
israel_iran_confrontation = 1.0
[design.parameters]
border_hardening = {{ values = [0.0, 1.0] }}
[baseline]
border_hardening = 0.0
[analysis]
resamples = 199
"""


@pytest.fixture(scope="module")
def small(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("small")
    res = run_sweep(write_config(tmp, SMALL), tmp / "out", workers=1, progress=False)
    res.report()
    return res


def test_report_opens_with_the_brief_and_prints_plain_numbers(small):
    text = (small.path / "report.md").read_text()
    first = text.split("\n## ")[1]
    assert first.startswith("Brief") and "ICD 203" in first
    assert not re.search(r"\d\.?\d*e[+-]\d", text), "scientific notation in report.md"
    assert "## Time to events" in text and "](figures/survival.png)" in text


def test_kaplan_meier_without_censoring_is_the_share_of_runs(small):
    events = survival.event_times(small)
    curves = survival.curves(events, small.experiment)
    assert set(curves["event"]) >= {"resurgence", "strike_iraq", "rung_1", "rung_4"}
    for (event, group), g in curves.groupby(["event", "group"]):
        e = events[(events["event"] == event) & (events["group"] == group)]
        assert np.all(np.diff(g["survival"].to_numpy()) <= 1e-12)  # never rises
        assert (g["ci_low"] <= g["survival"] + 1e-9).all()
        assert (g["survival"] <= g["ci_high"] + 1e-9).all()
        # no run is censored before the horizon, so S(horizon) = share without the event
        assert g["survival"].iloc[-1] == pytest.approx(1 - e["observed"].mean())
        assert g["week"].iloc[-1] == small.experiment.weeks
    rungs = survival.rung_shares(small)
    shares = rungs[[f"rung_{k}" for k in range(5)]].sum(axis=1)
    assert np.allclose(shares, 1.0)


def test_html_report_is_self_contained(small):
    page = (small.path / "report.html").read_text()
    md = (small.path / "report.md").read_text()
    assert page.count('src="data:image/png;base64,') == md.count("![")
    for tag in re.findall(r"<[^>]+>", page):  # only <a href> may point outside
        if re.search(r"https?://", tag):
            assert tag.startswith("<a "), tag
    assert "<link" not in page and "<script" not in page and "@import" not in page


def test_sweep_records_provenance(small):
    prov = json.loads((small.path / "manifest.json").read_text())["provenance"]
    path = resolve_scenario_path("iraq_syria_2024")
    assert prov["scenario"]["sha256"] == hashlib.sha256(path.read_bytes()).hexdigest()
    assert {"python", "escalation-sim", "mesa", "numpy", "pandas"} <= set(prov["versions"])
    head = subprocess.run(["git", "-C", str(REPO), "rev-parse", "HEAD"], capture_output=True)
    if head.returncode == 0:
        assert prov["git_commit"] == head.stdout.decode().strip()
    assert "sha256" in (small.path / "report.md").read_text()


def test_single_run_records_an_edited_scenario(tmp_path):
    source = resolve_scenario_path("iraq_syria_2024")
    copy = tmp_path / "edited.toml"
    copy.write_bytes(source.read_bytes() + b"\n# edited copy\n")
    out = tmp_path / "run"
    args = ["run", "--scenario", str(copy), "--weeks", "3", "--no-plots", "--quiet"]
    assert main([*args, "--out", str(out), "--set", "border_hardening=0.9"]) == 0
    doc = json.loads((out / "outcomes.json").read_text())
    prov = doc["provenance"]
    assert prov["scenario"]["path"] == str(copy.resolve())
    assert prov["scenario"]["sha256"] == hashlib.sha256(copy.read_bytes()).hexdigest()
    assert prov["scenario"]["sha256"] != hashlib.sha256(source.read_bytes()).hexdigest()
    assert doc["overrides"] == {"border_hardening": "0.9"}
    assert {"python", "escalation-sim", "mesa", "numpy", "pandas"} <= set(prov["versions"])


# ---------------------------------------------------------------------------------------------
# figures


def _texts(fig):
    out = [t.get_text() for t in fig.findobj(lambda o: hasattr(o, "get_text"))]
    for ax in fig.axes:
        out += [t.get_text() for t in ax.get_xticklabels() + ax.get_yticklabels()]
    return out


def test_single_run_figure_titles_marks_and_no_empty_panel():
    from escalation_sim import run
    from escalation_sim.plots import run_title, timeseries_figure

    res = run(overrides={"syria_collapse": 0.8}, seed=3, weeks=8, events=False)
    title = run_title(res.scenario, res.seed, res.overrides)
    assert title == "iraq_syria_2024, seed 3; syria_collapse = 0.8"
    fig = timeseries_figure(res.timeseries, title, res.parameters)
    texts = _texts(fig)
    assert any("Syrian collapse (week" in t for t in texts)
    assert any("resurgence: mean" in t for t in texts)
    assert not any(re.search(r"\de[+-]?\d", t) for t in texts)  # no scientific notation
    if (
        res.timeseries["israeli_strikes_iraq"].eq(0).all()
        and res.timeseries[["militia_launches", "israeli_strikes_syria"]].eq(0).all().all()
    ):
        assert any("Always zero in this run" in t for t in texts)
    for ax in fig.axes:
        if ax.get_visible() and ax.get_title():
            assert ax.get_ylabel(), ax.get_title()


def test_sweep_figures_have_units_and_leave_out_zero_outcomes(small):
    from escalation_sim.experiments import plots

    summary = small.summary()
    fig = plots.response_figure(summary, small.experiment)
    shown = [ax for ax in fig.axes if ax.get_visible() and ax.get_title()]
    assert all(ax.get_ylabel() for ax in shown)
    if plots.always_zero(summary, "israeli_strikes_iraq_total"):
        assert "Zero at every point" in fig.get_suptitle()
        titles = [ax.get_title() for ax in shown]
        assert plots.outcome_label("israeli_strikes_iraq_total") not in titles


# ---------------------------------------------------------------------------------------------
# a plain script without a main guard


def test_run_sweep_from_a_script_without_a_main_guard(tmp_path):
    write_config(tmp_path, weeks=2, seeds=2)
    script = tmp_path / "plain.py"
    script.write_text(
        textwrap.dedent(
            """
            from escalation_sim.experiments import run_sweep

            res = run_sweep("tiny.toml", workers=2, progress=False)
            print("runs", len(res.runs), "failed", len(res.failed))
            """
        )
    )
    done = subprocess.run(
        [sys.executable, str(script)], cwd=tmp_path, capture_output=True, text=True, timeout=300
    )
    assert done.returncode == 0, done.stderr
    assert "runs 6 failed 0" in done.stdout
    assert "Traceback" not in done.stderr


def test_a_guarded_script_keeps_the_fork_server(tmp_path):
    script = tmp_path / "guarded.py"
    script.write_text(
        "from escalation_sim.experiments.executors import ProcessExecutor\n"
        'if __name__ == "__main__":\n'
        "    print(ProcessExecutor(2).start_method)\n"
    )
    done = subprocess.run([sys.executable, str(script)], capture_output=True, text=True)
    assert done.stdout.strip() == "forkserver"


def test_pooled_is_the_pooling_of_drivers_with_its_interval():
    exp, runs = synthetic(20)
    drv = brief.drivers(runs, exp, "isis_resurgence").set_index("parameter")
    for name in ("border_hardening", "syria_collapse"):
        lo = brief.pooled(runs, exp, "isis_resurgence", name, 0.0)
        hi = brief.pooled(runs, exp, "isis_resurgence", name, 1.0)
        assert lo.share == pytest.approx(drv.loc[name, "low_mean"])
        assert hi.share == pytest.approx(drv.loc[name, "high_mean"])
        assert lo.n + hi.n == drv.loc[name, "n"]
        assert lo.low <= lo.share <= lo.high
    # Pooled over border_hardening at syria_collapse 1: (0.6 + 0.2) / 2 of 40 runs.
    p = brief.pooled(runs, exp, "isis_resurgence", "syria_collapse", 1.0)
    assert (p.k, p.n) == (16, 40) and p.text().startswith("40% (")


def test_notebook_02_prose_comes_from_the_report_functions():
    """One source of truth: the notebook computes no probability or interval of its own."""
    nb = json.loads(
        (REPO / "notebooks" / "02_border_hardening_vs_syria_collapse.ipynb").read_text()
    )
    code = "\n".join("".join(c["source"]) for c in nb["cells"] if c["cell_type"] == "code")
    for name in ("brief(", "contrasts(", "drivers(", "pooled(", "setting_text(", "seeds_text("):
        assert name in code, name
    assert "wilson_interval" not in code and "newcombe_interval" not in code
    assert "def pooled(" not in code and "def words(" not in code
