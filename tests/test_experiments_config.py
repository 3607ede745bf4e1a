"""Experiment configs: bad input ends in one line naming the file and field, exit 2, and leaves
whatever is already in the output directory untouched."""

import subprocess

import pytest
from sweep_helpers import CLI, TINY, snapshot, write_config

from escalation_sim.cli import main
from escalation_sim.experiments import load_config, resolve, run_sweep

BAD = {
    "unknown parameter": (
        TINY.replace("border_hardening = {{ values", "nonsense = {{ values"),
        ["design.parameters.nonsense", "unknown parameter"],
    ),
    "range outside the domain": (
        TINY.replace("{{ values = [0.0, 0.5, 1.0] }}", "{{ min = 0.0, max = 1.5, levels = 3 }}"),
        ["design.parameters.border_hardening.max", "outside the domain", "0.0 to 1.0"],
    ),
    "value outside the domain": (
        TINY.replace("[0.0, 0.5, 1.0]", "[0.0, 2.0]"),
        ["design.parameters.border_hardening.values[1]", "0.0 to 1.0"],
    ),
    "empty design": (
        TINY.split("[design.parameters]")[0].replace("[baseline]", ""),
        ["design.parameters", "empty design"],
    ),
    "empty values": (
        TINY.replace("[0.0, 0.5, 1.0]", "[]"),
        ["design.parameters.border_hardening.values", "empty"],
    ),
    "bad sampler": (
        TINY.replace('sampler = "grid"', 'sampler = "montecarlo"'),
        ["design.sampler", "allowed: grid, lhs, sobol, morris", "montecarlo"],
    ),
    "zero seeds": (TINY.replace("per_point = {seeds}", "per_point = 0"), ["seeds.per_point"]),
    "broken TOML": (TINY.replace("[design]", "[design"), ["invalid TOML", "line"]),
    "unknown field": (TINY + "\nsampler = 'grid'\n", ["sampler", "unknown field"]),
    "unknown outcome": (
        TINY.replace('"infiltrations_total"', '"infiltration"'),
        ["outcomes[2]", "unknown run-level outcome"],
    ),
    "override outside the domain": (
        TINY.replace("[design]", "[overrides]\nsyria_collapse = 3\n\n[design]"),
        ["overrides.syria_collapse", "outside the domain"],
    ),
    "baseline not in the design": (
        TINY.replace("border_hardening = 0.5\n", "syria_collapse = 0.5\n"),
        ["baseline.syria_collapse", "not a design parameter"],
    ),
    "sobol not a power of two": (
        TINY.replace('sampler = "grid"', 'sampler = "sobol"\nsamples = 12').replace(
            "{{ values = [0.0, 0.5, 1.0] }}", "{{ min = 0.0, max = 1.0 }}"
        ),
        ["design.samples", "power of 2"],
    ),
}


@pytest.mark.parametrize("case", sorted(BAD))
def test_config_error_is_one_line_and_writes_nothing(tmp_path, capsys, case):
    text, needles = BAD[case]
    cfg = write_config(tmp_path, text, name="bad.toml")
    out = tmp_path / "out"
    assert main(["sweep", str(cfg), "--out", str(out), "--quiet", "--workers", "1"]) == 2
    err = capsys.readouterr().err
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert str(cfg) in lines[0]
    for needle in needles:
        assert needle in lines[0]
    assert not out.exists()


def test_cli_error_in_a_real_process_has_no_traceback(tmp_path):
    cfg = write_config(tmp_path, TINY.replace("[design]", "[design"), name="broken.toml")
    proc = subprocess.run(
        [*CLI, "sweep", str(cfg), "--out", str(tmp_path / "o")],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 2
    assert "Traceback" not in proc.stderr
    assert proc.stderr.count("\n") == 1 and str(cfg) in proc.stderr


@pytest.mark.parametrize(
    ("args", "needle"),
    [(["--seeds", "0"], "--seeds"), (["--weeks", "-3"], "--weeks"), (["--workers", "x"], "x")],
)
def test_bad_flags(tmp_path, capsys, args, needle):
    cfg = write_config(tmp_path)
    with pytest.raises(SystemExit) as exc:
        main(["sweep", str(cfg), "--out", str(tmp_path / "o"), *args])
    assert exc.value.code == 2
    err = capsys.readouterr().err
    assert len(err.strip().splitlines()) == 1 and needle in err
    assert not (tmp_path / "o").exists()


def test_errors_leave_an_existing_sweep_untouched(tmp_path, capsys):
    cfg = write_config(tmp_path, seeds=2, weeks=3)
    out = tmp_path / "out"
    run_sweep(cfg, out, workers=1, progress=False).report()
    before = snapshot(out)
    # A broken config, a different config, and a config that needs a different design.
    broken = write_config(tmp_path, TINY.replace("[design]", "[design"), name="broken.toml")
    other_seeds = write_config(tmp_path, seeds=3, weeks=3, name="other.toml")
    for path, needle in [(broken, "invalid TOML"), (other_seeds, "seeds.per_point")]:
        assert main(["sweep", str(path), "--out", str(out), "--quiet", "--workers", "1"]) == 2
        err = capsys.readouterr().err
        assert len(err.strip().splitlines()) == 1 and needle in err, err
    # The same config with --weeks changed is a different sweep too.
    assert main(["sweep", str(cfg), "--out", str(out), "--weeks", "4", "--quiet"]) == 2
    assert "weeks" in capsys.readouterr().err
    assert snapshot(out) == before


def test_refuses_a_directory_that_is_not_a_sweep(tmp_path, capsys):
    cfg = write_config(tmp_path)
    out = tmp_path / "out"
    out.mkdir()
    (out / "notes.txt").write_text("mine")
    assert main(["sweep", str(cfg), "--out", str(out), "--quiet"]) == 2
    assert "does not hold a sweep" in capsys.readouterr().err
    assert [p.name for p in out.iterdir()] == ["notes.txt"]
    assert main(["sweep", str(cfg), "--out", str(tmp_path / "new"), "--resume", "--quiet"]) == 2
    assert "nothing to resume" in capsys.readouterr().err
    assert main(["report", str(tmp_path / "new")]) == 2
    assert "not a sweep directory" in capsys.readouterr().err


def test_scenario_path_is_relative_to_the_config(tmp_path):
    from escalation_sim.scenario.loader import bundled_scenarios

    sub = tmp_path / "cfg"
    sub.mkdir()
    (sub / "my.toml").write_bytes(bundled_scenarios()["iraq_syria_2024"].read_bytes())
    cfg = write_config(sub, TINY.replace('name = "tiny"', 'name = "tiny"\nscenario = "my.toml"'))
    exp = resolve(cfg)
    assert exp.scenario.meta.name == "iraq_syria_2024"
    bad = write_config(sub, TINY.replace('name = "tiny"', 'name = "t"\nscenario = "nope.toml"'))
    with pytest.raises(Exception, match=r"scenario: scenario not found"):
        resolve(bad)


def test_shipped_configs_validate():
    from sweep_helpers import REPO

    for path in sorted((REPO / "experiments").glob("*.toml")):
        if path.stem.startswith("calibrate_"):  # calibration configs (tests/test_calibrate.py)
            continue
        cfg = load_config(path)
        exp = resolve(path)
        assert exp.name == cfg.name == path.stem
        # Sensitivity designs have hundreds of points; 10 seeds each keeps them to minutes.
        least = 10 if exp.design.sampler in ("sobol", "morris") else 30
        assert exp.config.seeds.per_point >= least
