"""History matching with Gaussian-process emulators, then importance weights: the posterior.

Method (Vernon et al. 2010; Andrianakis et al. 2015, for agent-based models):

1. Wave 1 runs ``waves.points`` parameter sets from a Latin hypercube over the priors (uniform
   on each parameter's range), ``seeds.per_point`` runs each.
2. After each wave, one scikit-learn Gaussian process per target (inputs scaled to the unit
   cube, output the mean over seeds on the ``log(1 + x)`` scale) is fitted on every run so far.
   ``waves.candidates`` fresh prior draws are screened: a target's implausibility is its distance
   from the observed value or range over ``sqrt(observation^2 + discrepancy^2 + seed variance +
   emulator variance)``; a pattern's is the root mean square over its targets (each pattern
   counts once, however many targets it has); a set's is the largest over patterns. Sets at or
   below ``waves.cutoff`` are "not ruled out yet"; the next wave runs ``points`` of them (the
   least implausible ones if fewer survive, which the report flags).
3. The last wave's sets, drawn (about) uniformly from the space not ruled out, get importance
   weights from the simulated runs: ``w ~ exp(-0.5 * sum over patterns of mean_j r_j^2)``, ``r_j``
   the standardised distance of the set's mean from target ``j`` (no emulator variance: these
   are runs). That is the posterior ensemble: parameter sets with weights.

Runs go to the sweep executors (``experiments.executors``: serial, local processes, or Dask via
``experiments.cluster``) and each wave's runs are stored in a ``SweepStore`` (atomic chunks,
``DIR/wave-NN``). Designs, seeds and candidate draws depend only on the root seed, the wave
and the point, results are sorted before use, and the fits are deterministic: the same config
gives the same posterior serially, on two workers, or killed and resumed.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import math
import time
import warnings
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa

from escalation_sim.calibration.config import Calibration
from escalation_sim.calibration.targets import (
    TargetSet,
    bounds,
    build_targets,
    check_before_cutoff,
    model_values,
    residuals,
    transform,
)
from escalation_sim.errors import ConfigError
from escalation_sim.experiments.executors import Executor, make_executor
from escalation_sim.experiments.store import SweepStore, atomic_write, make_manifest
from escalation_sim.run import run
from escalation_sim.scenario.schema import Scenario

KIND = "escalation-sim calibration"
POSTERIOR = "posterior.csv"
#: What to install when scikit-learn is missing.
INSTALL = "pip install 'escalation-sim[calibrate]'"
POSTERIOR_META = "posterior.json"
#: The last wave's sets not ruled out by their runs, equally weighted (needs posterior.json).
NROY = "not_ruled_out.csv"


@dataclass(frozen=True)
class CalibJob:
    """What every run of a wave shares (picklable, for the executors)."""

    scenario: Scenario
    overrides: dict[str, Any]
    weeks: int
    targets: TargetSet
    names: tuple[str, ...]
    is_int: tuple[bool, ...]


@dataclass(frozen=True)
class PointSpec:
    """One parameter set and its seeds."""

    point_id: str
    index: int
    values: tuple[float, ...]
    seeds: tuple[tuple[int, int], ...]  # (seed_index, seed)


def point_overrides(job: CalibJob, values: tuple[float, ...]) -> dict[str, Any]:
    """The run's overrides: the config's, and the set's values (integers rounded)."""
    out = dict(job.overrides)
    for name, v, is_int in zip(job.names, values, job.is_int, strict=True):
        out[name] = round(v) if is_int else float(v)
    return out


def run_point(job: CalibJob, spec: PointSpec) -> list[dict[str, Any]]:
    """Run one parameter set at its seeds; one row per run with every target's model value."""
    rows = []
    for seed_index, seed in spec.seeds:
        row: dict[str, Any] = {"point_id": spec.point_id, "seed_index": seed_index, "seed": seed}
        start = time.perf_counter()
        try:
            result = run(
                scenario=job.scenario,
                overrides=point_overrides(job, spec.values),
                seed=seed,
                weeks=job.weeks,
            )
            assert result.events is not None
            values = model_values(job.targets, result.events, result.timeseries)
            row.update(status="ok", error="")
        except Exception as exc:
            from escalation_sim.experiments.tasks import describe_error

            values = np.full(len(job.targets), np.nan)
            row.update(status="error", error=describe_error(exc))
        row["seconds"] = time.perf_counter() - start
        row.update({f"t{j:04d}": float(v) for j, v in enumerate(values)})
        rows.append(row)
    return rows


def derive_seed(root: int, *key: int) -> int:
    """A 63-bit seed from ``SeedSequence(root, spawn_key=key)``: depends on nothing else."""
    state = np.random.SeedSequence(root, spawn_key=tuple(key)).generate_state(1, np.uint64)[0]
    return int(state >> np.uint64(1))


def _rng(root: int, *key: int) -> np.random.Generator:
    return np.random.default_rng(np.random.SeedSequence(root, spawn_key=tuple(key)))


# --------------------------------------------------------------------------- emulators


class Emulators:
    """Gaussian processes on the principal components of the targets (inputs in the unit cube).

    Hundreds of targets (months of GED, years of UCDP...) move together, so the outputs are
    centred and projected on their leading principal components (``variance`` of the spread
    kept, at most ``max_components``); one GP per component (scikit-learn, an anisotropic RBF
    kernel plus white noise, hyperparameters by maximum likelihood, no restarts: deterministic).
    A target's emulator variance is the components' variances through the loadings squared,
    plus the variance the dropped components leave (its mean squared reconstruction error).
    """

    def __init__(
        self,
        x: np.ndarray,
        y: np.ndarray,
        seed: int = 0,
        variance: float = 0.99,
        max_components: int = 12,
    ) -> None:
        from sklearn.gaussian_process import GaussianProcessRegressor
        from sklearn.gaussian_process.kernels import RBF, ConstantKernel, WhiteKernel

        y = np.where(np.isfinite(y), y, np.nanmean(np.where(np.isfinite(y), y, np.nan), axis=0))
        y = np.nan_to_num(y, nan=0.0)
        self.mean = y.mean(axis=0)
        centred = y - self.mean
        _u, sv, vt = np.linalg.svd(centred, full_matrices=False)
        share = np.cumsum(sv**2) / max(float(np.sum(sv**2)), 1e-300)
        r = min(max_components, len(sv), int(np.searchsorted(share, variance)) + 1)
        r = max(r, 1) if np.sum(sv**2) > 1e-12 else 0
        self.loadings = vt[:r]  # components x targets
        scores = centred @ self.loadings.T
        recon = scores @ self.loadings
        self.residual_var = np.mean((centred - recon) ** 2, axis=0)
        d = x.shape[1]
        length = np.full(d, 0.5) if d <= 10 else 0.5
        self.models: list[Any] = []
        for j in range(r):
            kernel = ConstantKernel(1.0, (1e-3, 1e3)) * RBF(length, (1e-2, 1e2)) + WhiteKernel(
                1e-2, (1e-6, 1.0)
            )
            gp = GaussianProcessRegressor(kernel, normalize_y=True, random_state=seed)
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                gp.fit(x, scores[:, j])
            self.models.append(gp)

    def predict(self, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Mean and variance of every target at ``x`` (rows: sets, columns: targets)."""
        mean = np.tile(self.mean, (len(x), 1))
        var = np.tile(self.residual_var, (len(x), 1))
        for j, gp in enumerate(self.models):
            m, s = gp.predict(x, return_std=True)
            mean += m[:, None] * self.loadings[j][None, :]
            var += (s**2)[:, None] * (self.loadings[j] ** 2)[None, :]
        return mean, var


def pattern_matrix(patterns: pd.Series) -> tuple[list[str], np.ndarray]:
    """Pattern names and a (patterns x targets) matrix of 1/n_pattern weights."""
    names = list(dict.fromkeys(patterns))
    m = np.zeros((len(names), len(patterns)))
    for i, name in enumerate(names):
        sel = (patterns == name).to_numpy()
        m[i, sel] = 1.0 / sel.sum()
    return names, m


def implausibility(
    mean: np.ndarray, var: np.ndarray, lo: np.ndarray, hi: np.ndarray, pm: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Per-pattern implausibility (sets x patterns) and the largest over patterns."""
    r2 = residuals(mean, lo, hi) ** 2 / var
    per_pattern = np.sqrt(r2 @ pm.T)
    return per_pattern, per_pattern.max(axis=1)


# --------------------------------------------------------------------------- the calibration


@dataclass
class CalibrationResult:
    """What ``calibrate`` returns (and writes into ``out``)."""

    out: Path
    posterior: pd.DataFrame
    meta: dict[str, Any]
    targets: TargetSet
    runs: pd.DataFrame  # every run of every wave, sorted
    waves: list[dict[str, Any]]


class Calibrator:
    """Runs a calibration into a directory (module docstring); ``run()`` does every wave."""

    def __init__(
        self,
        cal: Calibration,
        out: str | Path,
        *,
        workers: int | None = None,
        resume: bool = False,
        progress: bool = True,
        executor: Executor | None = None,
    ) -> None:
        self.cal = cal
        self.out = Path(out)
        self.progress = progress
        self.workers = workers
        self._executor = executor
        self.cfg = cal.config
        self.targets = build_targets(cal.start, cal.until, tuple(self.cfg.targets))
        if not len(self.targets):
            raise ConfigError(cal.source, "targets", "no observed target in the window")
        self.names = cal.names
        self.lo_prior = np.array([cal.priors[n][0] for n in self.names])
        self.hi_prior = np.array([cal.priors[n][1] for n in self.names])
        self.job = CalibJob(
            scenario=cal.scenario,
            overrides=dict(self.cfg.overrides),
            weeks=cal.weeks,
            targets=self.targets,
            names=tuple(self.names),
            is_int=tuple(cal.priors[n][2] for n in self.names),
        )
        self.lo, self.hi = bounds(self.targets.table)
        self.pattern_names, self.pm = pattern_matrix(self.targets.table["pattern"])
        e = self.cfg.errors
        self.fixed_var = e.observation**2 + e.discrepancy**2
        self._open(resume)

    # ---------------------------------------------------------------- directory

    def _open(self, resume: bool) -> None:
        path = self.out / "calibration.json"
        ident = {"kind": KIND, "identity_hash": self.cal.identity_hash()}
        if path.is_file():
            old = json.loads(path.read_text())
            if old.get("identity_hash") != ident["identity_hash"]:
                raise ConfigError(
                    self.out,
                    None,
                    "holds a calibration of a different config; choose another --out, or "
                    "remove the directory to start again",
                )
        elif resume:
            raise ConfigError(self.out, None, "nothing to resume: no calibration.json here")
        elif self.out.exists() and any(self.out.iterdir()):
            raise ConfigError(
                self.out, None, "exists and does not hold a calibration; choose a new --out"
            )
        self.out.mkdir(parents=True, exist_ok=True)
        doc = {
            **ident,
            "config_source": self.cal.source,
            "config": self.cfg.model_dump(mode="json"),
            "scenario": self.cal.scenario.meta.name,
            "parameters": {k: list(v) for k, v in self.cal.priors.items()},
            "start": str(self.cal.start),
            "until": str(self.cal.until),
            "weeks": self.cal.weeks,
        }
        atomic_write(path, lambda p: p.write_text(json.dumps(doc, indent=1)))
        tt = self.targets.table
        atomic_write(self.out / "targets.csv", lambda p: tt.to_csv(p, index=False))

    def _wave_store(self, wave: int, design: pd.DataFrame) -> SweepStore:
        identity = {
            "calibration": self.cal.identity_hash(),
            "wave": wave,
            "design": design.round(12).to_dict(orient="list"),
        }
        runs_total = len(design) * self.cfg.seeds.per_point
        return open_store(
            self.out / f"wave-{wave:02d}", self.cal, identity, runs_total, len(self.targets)
        )

    # ---------------------------------------------------------------- designs

    def _unit_to_values(self, u: np.ndarray) -> np.ndarray:
        return self.lo_prior + u * (self.hi_prior - self.lo_prior)

    def _design(self, wave: int, history: pd.DataFrame) -> tuple[pd.DataFrame, dict[str, Any]]:
        w = self.cfg.waves
        d = len(self.names)
        info: dict[str, Any] = {"wave": wave}
        if wave == 1:
            from scipy.stats import qmc

            u = qmc.LatinHypercube(d=d, seed=_rng(self.cfg.seeds.root, 1, 0)).random(w.points)
            info.update(candidates=None, not_ruled_out=None, share=1.0)
        else:
            x, y, seed_var = self._training(history)
            em = Emulators(x, y, seed=self.cfg.seeds.root % (2**31))
            cand = _rng(self.cfg.seeds.root, wave, 0).random((w.candidates, d))
            mean, var = em.predict(cand)
            total = var + self.fixed_var + seed_var[None, :]
            _, imp = implausibility(mean, total, self.lo, self.hi, self.pm)
            ok = np.flatnonzero(imp <= w.cutoff)
            info.update(
                candidates=int(w.candidates),
                not_ruled_out=len(ok),
                share=float(len(ok) / w.candidates),
                min_implausibility=float(imp.min()),
            )
            if len(ok) >= w.points:
                pick = np.sort(_rng(self.cfg.seeds.root, wave, 1).choice(ok, w.points, False))
            else:
                pick = np.argsort(imp, kind="stable")[: w.points]
            u = cand[pick]
            info["predicted"] = mean[pick].tolist()
        values = self._unit_to_values(u)
        design = pd.DataFrame(values, columns=self.names)
        design.insert(0, "point_id", [f"w{wave:02d}p{i:05d}" for i in range(len(design))])
        design.insert(1, "wave", wave)
        return design, info

    def _training(self, history: pd.DataFrame) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Unit-cube inputs, mean transformed outputs per set, and pooled seed variances."""
        tcols = [f"t{j:04d}" for j in range(len(self.targets))]
        ok = history[history["status"] == "ok"]
        values = pd.DataFrame(transform(ok[tcols].to_numpy()), columns=tcols, index=ok.index)
        z = pd.concat([ok[["point_id", *self.names]], values], axis=1)
        grouped = z.groupby("point_id", sort=True)
        means = grouped[tcols].mean()
        params = grouped[self.names].first().loc[means.index]
        if self.cfg.seeds.per_point > 1:
            seed_var = np.nan_to_num(grouped[tcols].var(ddof=1).mean().to_numpy(), nan=0.0)
        else:
            seed_var = np.zeros(len(tcols))
        x = (params.to_numpy() - self.lo_prior) / (self.hi_prior - self.lo_prior)
        return x, means.to_numpy(), seed_var

    # ---------------------------------------------------------------- running

    def _executor_for(self) -> Executor:
        return self._executor or make_executor(self.workers)

    def _run_wave(self, wave: int, design: pd.DataFrame, executor: Executor) -> pd.DataFrame:
        per = self.cfg.seeds.per_point
        specs = [
            PointSpec(
                str(row.point_id),
                i,
                tuple(float(getattr(row, n)) for n in self.names),
                tuple((s, derive_seed(self.cfg.seeds.root, wave, i, s)) for s in range(per)),
            )
            for i, row in enumerate(design.itertuples(index=False))
        ]
        desc = f"wave {wave}/{self.cfg.waves.count}"
        store = self._wave_store(wave, design)
        runs = run_into_store(store, self.job, specs, executor, desc if self.progress else None)
        runs = runs.merge(design, on="point_id", how="left")
        return runs.sort_values(["point_id", "seed_index"], ignore_index=True)

    def run(self) -> CalibrationResult:
        """Run (or finish) every wave, weight the last one, write the posterior."""
        executor = self._executor_for()
        history = pd.DataFrame()
        waves: list[dict[str, Any]] = []
        try:
            for wave in range(1, self.cfg.waves.count + 1):
                design, info = self._design(wave, history)
                predicted = info.pop("predicted", None)
                path = self.out / f"wave-{wave:02d}-design.csv"
                atomic_write(path, lambda p, d=design: d.to_csv(p, index=False))
                t0 = time.perf_counter()
                runs = self._run_wave(wave, design, executor)
                if not (runs["status"] == "ok").any():
                    first = runs["error"].iloc[0] if len(runs) else "no runs"
                    raise ConfigError(
                        self.out / f"wave-{wave:02d}",
                        None,
                        f"every run of wave {wave} failed; first error: {first}",
                    )
                info["seconds"] = time.perf_counter() - t0
                info["runs"] = len(runs)
                info["run_seconds_mean"] = float(runs["seconds"].mean())
                info["failed"] = int((runs["status"] != "ok").sum())
                if predicted is not None:
                    info["emulator_r2"] = self._emulator_r2(runs, np.array(predicted))
                waves.append(info)
                history = pd.concat([history, runs], ignore_index=True)
        finally:
            if self._executor is None:
                executor.close()
        last = history[history["wave"] == self.cfg.waves.count]
        posterior = self.weights(last)
        meta = self._meta(posterior, waves)
        atomic_write(self.out / POSTERIOR, lambda p: posterior.to_csv(p, index=False))
        nroy = posterior[posterior["implausibility"] <= self.cfg.waves.cutoff].copy()
        nroy["weight"] = 1.0 / max(1, len(nroy))
        meta["not_ruled_out"] = len(nroy)
        if len(nroy):  # history matching's own answer: every set not ruled out, equal weights
            atomic_write(self.out / NROY, lambda p: nroy.to_csv(p, index=False))
        atomic_write(self.out / POSTERIOR_META, lambda p: p.write_text(json.dumps(meta, indent=1)))
        atomic_write(self.out / "waves.json", lambda p: p.write_text(json.dumps(waves, indent=1)))
        return CalibrationResult(self.out, posterior, meta, self.targets, history, waves)

    def _emulator_r2(self, runs: pd.DataFrame, predicted: np.ndarray) -> float | None:
        """How well the emulators predicted this wave's runs (R² over targets and sets)."""
        _, y, _ = self._training(runs)
        ids = sorted(set(runs.loc[runs["status"] == "ok", "point_id"]))
        allid = sorted(set(runs["point_id"]))
        pred = predicted[[allid.index(i) for i in ids]]
        ss_res = float(np.nansum((y - pred) ** 2))
        ss_tot = float(np.nansum((y - np.nanmean(y, axis=0)) ** 2))
        return None if ss_tot <= 0 else 1 - ss_res / ss_tot

    # ---------------------------------------------------------------- posterior

    def weights(self, runs: pd.DataFrame) -> pd.DataFrame:
        """Importance weights of the sets of ``runs`` (module docstring, step 3)."""
        _x, y, seed_var = self._training(runs)
        ok = runs[runs["status"] == "ok"]
        ids = sorted(set(ok["point_id"]))
        var = self.fixed_var + seed_var
        r2 = residuals(y, self.lo, self.hi) ** 2 / var[None, :]
        per_pattern = r2 @ self.pm.T
        loglik = -0.5 * per_pattern.sum(axis=1)
        w = np.exp(loglik - loglik.max())
        w /= w.sum()
        params = ok.groupby("point_id", sort=True)[self.names].first().loc[ids]
        out = params.reset_index()
        out.insert(1, "wave", self.cfg.waves.count)
        out["weight"] = w
        out["log_likelihood"] = loglik
        out["implausibility"] = np.sqrt(per_pattern).max(axis=1)
        return out

    def _meta(self, posterior: pd.DataFrame, waves: list[dict[str, Any]]) -> dict[str, Any]:
        w = posterior["weight"].to_numpy()
        ess = float(1.0 / np.sum(w**2)) if len(w) else 0.0
        stats = {}
        for n in self.names:
            v = posterior[n].to_numpy()
            stats[n] = {
                "prior": [float(self.cal.priors[n][0]), float(self.cal.priors[n][1])],
                "scenario_value": float(self.cal.scenario.parameters[n].value),
                "median": weighted_quantile(v, w, 0.5),
                "p05": weighted_quantile(v, w, 0.05),
                "p95": weighted_quantile(v, w, 0.95),
                "mean": float(np.sum(v * w)),
            }
        return {
            "kind": "escalation-sim posterior",
            "name": self.cfg.name,
            "scenario": self.cal.scenario.meta.name,
            "parameters": self.names,
            "integer_parameters": [n for n in self.names if self.cal.priors[n][2]],
            "overrides": dict(self.cfg.overrides),
            "window": {"start": str(self.cal.start), "until": str(self.cal.until)},
            "weeks": self.cal.weeks,
            "method": "history matching (scikit-learn GP emulators) + importance weights",
            "waves": len(waves),
            "sets": len(posterior),
            "effective_sample_size": ess,
            "targets": len(self.targets),
            "patterns": self.pattern_names,
            "seeds": self.cfg.seeds.model_dump(),
            "errors": self.cfg.errors.model_dump(),
            "identity_hash": self.cal.identity_hash(),
            # The day the posterior was written (apply-calibration cites it); not in the hash.
            "finished": dt.datetime.now(dt.UTC).date().isoformat(),
            "summary": stats,
            "file": POSTERIOR,
        }


def runs_schema(n_targets: int) -> pa.Schema:
    """Columns of a calibration store's runs: keys, status, seconds, one ``tNNNN`` per target."""
    fields = [
        ("point_id", pa.string()),
        ("seed_index", pa.int64()),
        ("seed", pa.int64()),
        ("status", pa.string()),
        ("error", pa.string()),
        ("seconds", pa.float64()),
    ]
    return pa.schema(fields + [(f"t{j:04d}", pa.float64()) for j in range(n_targets)])


def open_store(
    root: Path, cal: Calibration, identity: dict[str, Any], runs_total: int, n_targets: int
) -> SweepStore:
    """A ``SweepStore`` of calibration runs (a wave, the hold-out); another identity is refused."""
    digest = json.dumps(identity, sort_keys=True, default=str)
    manifest = make_manifest(
        config=cal.config.model_dump(mode="json"),
        config_source=cal.source,
        config_hash=hashlib.sha256(digest.encode()).hexdigest(),
        identity=identity,
        scenario={"name": cal.scenario.meta.name},
        runs_total=runs_total,
        schemas={"runs": runs_schema(n_targets), "timeseries": pa.schema([])},
        versions={},
    )
    return SweepStore.open_for_sweep(root, manifest)


def run_into_store(
    store: SweepStore,
    job: CalibJob,
    specs: list[PointSpec],
    executor: Executor,
    progress: str | None = None,
) -> pd.DataFrame:
    """Run the specs' runs not yet in ``store`` on ``executor``; return every run, sorted.

    Each finished parameter set is committed as one chunk, so a kill loses only the sets
    running. ``progress``: the progress bar's label (no bar without one). Closes the store.
    """
    try:
        done = store.completed()
        keys = set(zip(done["point_id"], done["seed_index"], strict=True))
        todo = []
        for s in specs:
            left = tuple(x for x in s.seeds if (s.point_id, x[0]) not in keys)
            if left:
                todo.append(PointSpec(s.point_id, s.index, s.values, left))
        bar = None
        if progress:
            from tqdm import tqdm

            total = sum(len(s.seeds) for s in specs)
            bar = tqdm(total=total, initial=len(done), desc=progress, unit="run")
        try:
            schema = store.schema("runs")
            for rows in executor.map_unordered(run_point, ((job, s) for s in todo)):
                store.write_chunk(pa.Table.from_pylist(rows, schema=schema), None)
                if bar is not None:
                    bar.update(len(rows))
        finally:
            if bar is not None:
                bar.close()
        runs = store.read_runs()
    finally:
        store.close()
    return runs.sort_values(["point_id", "seed_index"], ignore_index=True)


def weighted_quantile(values: np.ndarray, weights: np.ndarray, q: float) -> float:
    """The ``q`` quantile of ``values`` under ``weights`` (inverse of the weighted CDF)."""
    if len(values) == 0:
        return math.nan
    order = np.argsort(values, kind="stable")
    v, w = values[order], weights[order]
    cdf = np.cumsum(w) / np.sum(w)
    return float(v[min(int(np.searchsorted(cdf, q)), len(v) - 1)])


def calibrate(cal: Calibration, out: str | Path, **options: Any) -> CalibrationResult:
    """Run a calibration into ``out`` (module docstring); resumes what ``out`` already holds.

    Options (``Calibrator``'s): ``workers`` (local processes; default all cores), ``resume``
    (require ``out`` to hold this calibration), ``progress`` (bars on stderr, default on),
    ``executor`` (any sweep executor, e.g. ``experiments.cluster.DaskExecutor``).
    """
    try:
        import sklearn  # noqa: F401  (the emulators)
    except ImportError:
        raise ConfigError(
            "calibrate", None, f"needs scikit-learn, which is not installed: {INSTALL}"
        ) from None
    calibrator = Calibrator(cal, out, **options)
    check_before_cutoff(calibrator.targets)
    return calibrator.run()


# --------------------------------------------------------------------------- posterior files


def read_posterior(path: str | Path) -> tuple[pd.DataFrame, dict[str, Any]]:
    """A posterior ensemble: ``posterior.csv`` (or its directory) and its ``posterior.json``.

    Raises:
        ConfigError: missing files, or weights that are not non-negative with a positive sum.
    """
    path = Path(path)
    if path.is_dir():
        path = path / POSTERIOR
    meta_path = path.with_name(POSTERIOR_META)
    if not path.is_file() or not meta_path.is_file():
        raise ConfigError(
            path, None, f"no posterior ensemble here ({POSTERIOR} and {POSTERIOR_META})"
        )
    frame = pd.read_csv(path)
    meta = json.loads(meta_path.read_text())
    names = list(meta.get("parameters", []))
    missing = [n for n in [*names, "weight"] if n not in frame.columns]
    if missing:
        raise ConfigError(path, None, f"missing column(s) {missing}")
    w = frame["weight"].to_numpy(dtype=float)
    if not np.all(np.isfinite(w)) or (w < 0).any() or w.sum() <= 0:
        raise ConfigError(path, "weight", "weights must be non-negative with a positive sum")
    return frame, meta


def draw_posterior(
    frame: pd.DataFrame, meta: dict[str, Any], n: int, seed: int
) -> list[dict[str, float | int]]:
    """``n`` parameter sets drawn with replacement by weight (systematic resampling)."""
    w = frame["weight"].to_numpy(dtype=float)
    cdf = np.cumsum(w / w.sum())
    u = (np.random.default_rng(seed).random() + np.arange(n)) / n
    idx = np.minimum(np.searchsorted(cdf, u), len(frame) - 1)
    ints = set(meta.get("integer_parameters", []))
    out = []
    for i in idx:
        row = frame.iloc[int(i)]
        out.append(
            {
                n_: (round(float(row[n_])) if n_ in ints else float(row[n_]))
                for n_ in meta["parameters"]
            }
        )
    return out


def iter_runs(
    job: CalibJob, draws: list[dict[str, float | int]], seeds: int, root: int, tag: int
) -> Iterator[PointSpec]:
    """Point specs for posterior draws (hold-out and predictive runs)."""
    for i, d in enumerate(draws):
        values = tuple(float(d[n]) for n in job.names)
        ss = tuple((s, derive_seed(root, tag, i, s)) for s in range(seeds))
        yield PointSpec(f"d{i:05d}", i, values, ss)
