"""A compact view of a run for the terminal (`make run`), and the full log in a file beside it.

Why a Dagster logger of our own: the console logger prints every event (hundreds for one dbt build) and
dagster-dbt echoes all of dbt's output; the data team at the terminal wants one line per step with what it
did, failures at once, and where the details are. Every event still goes to the log file and, for runs
started by the daemon or the UI, to the Dagster UI's run log.
"""

import logging
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

import dagster as dg

LOGGER_NAME = "tkpk_progress"


@dataclass
class StepTally:
    started: float
    assets: int = 0
    rows: int = 0
    checks_passed: int = 0
    checks_warned: list[str] = field(default_factory=list)
    checks_failed: list[str] = field(default_factory=list)


class ProgressHandler(logging.Handler):
    """One line per finished step on `terminal`; each record, formatted, to `logfile`."""

    def __init__(self, terminal: IO[str], logfile: IO[str]):
        super().__init__(level=logging.DEBUG)
        self.terminal, self.logfile = terminal, logfile
        self.steps: dict[str, StepTally] = {}
        self.done = 0
        self.warnings: dict[str, int] = {}  # first line of a warning -> times seen (repeats stay in the log)
        self.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(message)s"))

    def emit(self, record: logging.LogRecord) -> None:
        self.logfile.write(self.format(record) + "\n")
        self.logfile.flush()
        meta: dict[str, Any] = getattr(record, "dagster_meta", None) or {}
        event = meta.get("dagster_event")
        if event is None:
            if record.levelno >= logging.WARNING:
                self._warn(record.levelname.lower(), str(meta.get("orig_message") or record.getMessage()))
            return
        step = event.step_key or ""
        kind = event.event_type_value
        if kind == "STEP_START":
            self.steps[step] = StepTally(started=time.monotonic())
        elif kind == "ASSET_MATERIALIZATION" and step in self.steps:
            tally = self.steps[step]
            tally.assets += 1
            rows = event.event_specific_data.materialization.metadata.get("dagster/row_count")
            tally.rows += int(rows.value) if rows is not None else 0
        elif kind == "ASSET_CHECK_EVALUATION" and step in self.steps:
            evaluation, tally = event.event_specific_data, self.steps[step]
            name = evaluation.asset_check_key.to_user_string()
            if evaluation.passed:
                tally.checks_passed += 1
            elif evaluation.severity == dg.AssetCheckSeverity.WARN:
                tally.checks_warned.append(name)
            else:
                tally.checks_failed.append(name)
        elif kind in ("STEP_SUCCESS", "STEP_FAILURE", "STEP_SKIPPED"):
            self._finished(step, kind)

    def _finished(self, step: str, kind: str) -> None:
        tally = self.steps.pop(step, None) or StepTally(started=time.monotonic())
        self.done += 1
        outcome = {"STEP_SUCCESS": "ok", "STEP_FAILURE": "FAILED", "STEP_SKIPPED": "skipped"}[kind]
        parts = [f"{time.monotonic() - tally.started:6.1f} s"]
        if tally.assets:
            parts.append(_plural(tally.assets, "asset"))
        if tally.rows:
            parts.append(f"{tally.rows:,} rows")
        checks = tally.checks_passed + len(tally.checks_warned) + len(tally.checks_failed)
        if checks:
            parts.append(_plural(checks, "check"))
        if tally.checks_warned:
            parts.append(f"{len(tally.checks_warned)} warned")
        if tally.checks_failed:
            parts.append(f"{len(tally.checks_failed)} FAILED")
        self._say(f"  {self.done:>3} {outcome:<7} {step:<58} {', '.join(parts)}")
        for label, names in (("FAILED", tally.checks_failed), ("warned", tally.checks_warned)):
            for name in names[:10]:
                self._say(f"              {label}: {name}")
            if len(names) > 10:
                self._say(f"              ... and {len(names) - 10} more (see the log)")

    def _warn(self, level: str, message: str) -> None:
        """A warning once on the terminal (its first line); repeats of it only in the log."""
        first = message.strip().splitlines()[0] if message.strip() else message
        key = first[:60]
        self.warnings[key] = self.warnings.get(key, 0) + 1
        if self.warnings[key] == 1:
            self._say(f"  {level}: {first[:160]}")
        elif self.warnings[key] == 2:
            self._say(f"  {level}: ... more like it in the log")

    def _say(self, line: str) -> None:
        self.terminal.write(line + "\n")
        self.terminal.flush()


def _plural(n: int, word: str) -> str:
    return f"{n:,} {word}{'' if n == 1 else 's'}"


def progress_logger_def(terminal: IO[str], logfile: IO[str]) -> dg.LoggerDefinition:
    """A logger for one in-process run, writing to the given terminal and log file."""

    @dg.logger(description="One line per finished step on the terminal; everything to the run's log file.")
    def progress(_init_context) -> logging.Logger:
        log = logging.Logger(LOGGER_NAME, level=logging.DEBUG)
        log.addHandler(ProgressHandler(terminal, logfile))
        return log

    return progress


def log_path(data_dir: Path, when: float | None = None) -> Path:
    stamp = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime(when))
    return data_dir / "logs" / f"nightly-{stamp}.log"


def real_stdout() -> IO[str]:
    return sys.__stdout__ or sys.stdout
