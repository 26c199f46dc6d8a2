#!/usr/bin/env python3
"""Optuna bridge of multiverse sweeps: one study per process, JSON lines over stdin/stdout.

Each request is one line {"id": n, "op": ..., ...}; each answer is one line {"id": n, "ok": true, "result": ...}
or {"id": n, "ok": false, "kind": ..., "error": ...}. Sampling and bookkeeping are Optuna's own (create_study,
ask, tell), so the study is an ordinary one that optuna.load_study and optuna-dashboard read.

ops:
  open   storage, study_name, direction, sampler ("tpe"|"random"), seed, search_space, user_attrs
  ask    -> number, params                      (a trial drawn from the search space's distributions)
  attrs  number, attrs                          (user attributes of a trial asked by this process)
  tell   number, state ("COMPLETE"|"PRUNED"|"FAIL"), value  -> the finished trial (idempotent)
  trials -> every trial of the study
"""
import json
import math
import os
import sys
import time

_answers = sys.stdout
sys.stdout = sys.stderr  # anything a library prints must not corrupt the protocol

import optuna  # noqa: E402
from optuna.distributions import CategoricalDistribution, FloatDistribution, IntDistribution  # noqa: E402
from optuna.trial import TrialState  # noqa: E402

optuna.logging.set_verbosity(optuna.logging.WARNING)


class BridgeError(Exception):
    def __init__(self, kind, message):
        super().__init__(message)
        self.kind = kind


def distribution(name, spec):
    kind = spec.get("type")
    if kind == "int":
        return IntDistribution(int(spec["low"]), int(spec["high"]), log=bool(spec.get("log", False)), step=int(spec.get("step", 1)))
    if kind == "float":
        step = spec.get("step")
        return FloatDistribution(float(spec["low"]), float(spec["high"]), log=bool(spec.get("log", False)), step=None if step is None else float(step))
    if kind == "categorical":
        return CategoricalDistribution(spec["choices"])
    raise BridgeError("bad_request", f"search space dimension {name!r} has unknown type {kind!r}")


def finite(value):
    return value if value is not None and math.isfinite(value) else None


def trial_json(trial):
    return {
        "number": trial.number,
        "state": trial.state.name,
        "params": trial.params,
        "value": finite(trial.value) if trial.state == TrialState.COMPLETE else None,
        "user_attrs": trial.user_attrs,
        "datetime_start": trial.datetime_start.isoformat() if trial.datetime_start else None,
        "datetime_complete": trial.datetime_complete.isoformat() if trial.datetime_complete else None,
    }


def rdb_storage(storage):
    """SQLite waits for a lock instead of failing at once: several studies of one run share the file."""
    if storage.startswith("sqlite:"):
        return optuna.storages.RDBStorage(storage, engine_kwargs={"connect_args": {"timeout": 60}})
    return storage


def create_study(storage, study_name, direction):
    # Two processes creating a fresh storage's tables at once race ("table ... already exists"); the loser retries
    # and finds the schema the winner made.
    for attempt in range(6):
        try:
            return optuna.create_study(storage=rdb_storage(storage), study_name=study_name, direction=direction, load_if_exists=True)
        except Exception as error:  # sqlalchemy's OperationalError/IntegrityError, without importing sqlalchemy
            retryable = "already exists" in str(error) or "database is locked" in str(error) or "UNIQUE constraint" in str(error)
            if not retryable or attempt == 5:
                raise
            time.sleep(0.2 * (attempt + 1))


def sqlite_parent(storage):
    prefix = "sqlite:///"
    if storage.startswith(prefix):
        path = storage[len(prefix):]
        parent = os.path.dirname(path)
        if parent:
            os.makedirs(parent, exist_ok=True)


class Bridge:
    def __init__(self):
        self.study = None
        self.distributions = None
        self.asked = {}

    def require_study(self):
        if self.study is None:
            raise BridgeError("bad_request", "no study is open: send op open first")
        return self.study

    def open(self, req):
        storage = req["storage"]
        sqlite_parent(storage)
        direction = req["direction"]
        self.distributions = {name: distribution(name, spec) for name, spec in sorted(req["search_space"].items())}
        study = create_study(storage, req["study_name"], direction)
        trials = study.get_trials(deepcopy=False)
        # Seeded for reproducibility, offset by the trials the study already has: a resumed study must not replay
        # the random draws of the session before it.
        seed = req.get("seed")
        if seed is not None:
            seed = (int(seed) + len(trials)) % (2**32)
        study.sampler = optuna.samplers.RandomSampler(seed=seed) if req.get("sampler") == "random" else optuna.samplers.TPESampler(seed=seed)
        existing = study.direction.name.lower()
        if existing != direction:
            raise BridgeError("direction_mismatch", f"study {req['study_name']!r} in {req['storage_display']} already optimises in direction {existing}, not {direction}")
        for key, value in (req.get("user_attrs") or {}).items():
            study.set_user_attr(key, value)
        self.study = study
        return {"study_name": study.study_name, "direction": existing, "trials": [trial_json(t) for t in trials]}

    def ask(self, _req):
        study = self.require_study()
        trial = study.ask(self.distributions)
        self.asked[trial.number] = trial
        return {"number": trial.number, "params": trial.params}

    def attrs(self, req):
        trial = self.asked.get(req["number"])
        if trial is None:
            raise BridgeError("bad_request", f"trial {req['number']} was not asked by this process")
        for key, value in req["attrs"].items():
            trial.set_user_attr(key, value)
        return {"number": trial.number}

    def tell(self, req):
        study = self.require_study()
        state = req["state"]
        number = req["number"]
        if state == "COMPLETE":
            value = req.get("value")
            if not isinstance(value, (int, float)) or not math.isfinite(value):
                raise BridgeError("bad_request", f"a COMPLETE trial needs a finite value, got {value!r}")
            frozen = study.tell(number, float(value), skip_if_finished=True)
        elif state in ("PRUNED", "FAIL"):
            frozen = study.tell(number, state=TrialState[state], skip_if_finished=True)
        else:
            raise BridgeError("bad_request", f"unknown trial state {state!r}")
        self.asked.pop(number, None)
        return trial_json(frozen)

    def trials(self, _req):
        return [trial_json(t) for t in self.require_study().get_trials(deepcopy=False)]


def main():
    bridge = Bridge()
    ops = {"open": bridge.open, "ask": bridge.ask, "attrs": bridge.attrs, "tell": bridge.tell, "trials": bridge.trials}
    for line in sys.stdin:
        if not line.strip():
            continue
        request_id = None
        try:
            request = json.loads(line)
            request_id = request.get("id")
            op = ops.get(request.get("op"))
            if op is None:
                raise BridgeError("bad_request", f"unknown op {request.get('op')!r}")
            answer = {"id": request_id, "ok": True, "result": op(request)}
        except BridgeError as error:
            answer = {"id": request_id, "ok": False, "kind": error.kind, "error": str(error)}
        except Exception as error:  # Optuna's own refusals (e.g. a changed distribution kind) reach the caller as text
            answer = {"id": request_id, "ok": False, "kind": type(error).__name__, "error": str(error)}
        _answers.write(json.dumps(answer, allow_nan=False) + "\n")
        _answers.flush()


if __name__ == "__main__":
    main()
