"""Kappa's activity: the queue of downloads and installs, their progress, and their problems in words.

`Activity` runs jobs (a title plus a work coroutine function) in submission order, `max_running` at a time, and
tells its listeners about every change, so that a panel and a status bar can follow them. A job's work gets a
`JobContext` to report its step ("Downloading", "Installing"), its downloads and unpackings (shaped like the
Installer's `on_download` / `on_extract` callbacks), and the time it spends waiting for the player's answer.

- Cancel: a queued job is cancelled at once; a running one has its task cancelled, so `CancelledError` reaches the
  work where it awaits (a download stops, keeping its partial file for the next attempt).
- Retry: a failed or cancelled job is reset in place (same id, same row in a panel, `attempt` + 1) and queued again
  at the back: the work function is called anew, so it must be a coroutine function (or a lambda making one), not a
  coroutine object.
- Problems: `describe_problem` turns the project's exceptions into a `Problem` (what happened, what to do next and,
  for a link that is not a direct download, the page to open in a browser). Unexpected exceptions are logged with
  their traceback and shown as one sentence.
- Listeners hear state changes at once and progress at most ~10 times a second per job. A job removed by
  `clear_finished` is reported once more; `Activity.get(job.id)` is None then.

No Qt here: the dock (app/ui/activity_dock.py) listens to it.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import logging
import threading
import time
from collections import deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, TypeVar

from app.core.errors import KappaError
from app.core.install import FileInUse, FilesConflict, InstallBusy, NotEnoughSpace, ProcessRunning
from app.core.words import seconds_in_words, size_in_words
from app.net.download import DownloadProgress
from app.net.forge import ForgeApiError, ForgeRateLimited, ForgeUnauthenticated
from app.net.http import NetworkError, ServerUnreachable
from app.net.links import DownloadCancelled, DownloadError, NotADirectLink

__all__ = ["Activity", "Job", "JobContext", "JobState", "Listener", "Problem", "Transfer", "Work",
           "describe_problem"]

log = logging.getLogger(__name__)

T = TypeVar("T")

PROGRESS_INTERVAL = 0.1  # seconds between progress notifications of one job: at most ~10 a second
EXTRACT_POST_INTERVAL = 0.05  # unpacking reports from a worker thread are thinned out before they cross to the loop
SPEED_SMOOTHING = 0.3  # weight of the newest interval in an unpacking's speed (downloads bring their own speed)
WAITING_STEP = "Waiting for you to confirm"
_STEPS = {"queued": "Queued", "done": "Done", "failed": "Failed", "cancelled": "Cancelled"}


class JobState(StrEnum):
    QUEUED = "queued"
    RUNNING = "running"
    WAITING = "waiting"  # running, but awaiting the player's answer (a plan dialog); it keeps its slot
    DONE = "done"
    FAILED = "failed"
    CANCELLED = "cancelled"

    @property
    def finished(self) -> bool:
        return self in (JobState.DONE, JobState.FAILED, JobState.CANCELLED)

    @property
    def active(self) -> bool:
        """Started and not finished: it holds one of the running slots."""
        return self in (JobState.RUNNING, JobState.WAITING)


@dataclass(frozen=True)
class Problem:
    """Why a job failed, in the player's words, and what to do about it."""

    message: str
    next_step: str
    link: str | None = None  # a page to open in the browser (a download that is not a direct link)


@dataclass
class Transfer:
    """One file moving inside a job: a download, or an archive being unpacked."""

    label: str  # "SAIN 3.2.0" (a download), "Unpacking SAIN-3.2.0.zip"
    received: int = 0  # bytes so far
    total: int | None = None  # None while unknown
    speed: float = 0.0  # bytes per second
    eta: float | None = None  # seconds left; None while unknown
    done: bool = False

    @property
    def fraction(self) -> float | None:
        """0..1, or None while the total is unknown."""
        if self.total is None:
            return None
        return 1.0 if self.total <= 0 else min(1.0, self.received / self.total)


Work = Callable[["JobContext"], Awaitable[Any]]
Listener = Callable[["Job"], None]


@dataclass(eq=False)
class Job:
    """A download or an install the player started; its progress is the sum of its transfers."""

    id: int
    title: str  # "Update 3 mods", "Install SAIN.zip"
    state: JobState = JobState.QUEUED
    step: str = _STEPS["queued"]  # a short sentence: "Downloading", "Installing", "Waiting for you to confirm"
    transfers: dict[str, Transfer] = field(default_factory=dict)
    problem: Problem | None = None
    submitted: float = 0.0  # time.time() of submission (or of the last retry)
    started: float | None = None
    finished: float | None = None
    result: Any = None  # what the work returned, once done
    attempt: int = 1  # 2 after the first retry...
    _work: Work | None = field(default=None, repr=False)
    _cancel_requested: bool = field(default=False, repr=False)
    _finished_event: asyncio.Event = field(default_factory=asyncio.Event, repr=False)
    _notified_at: float = field(default=float("-inf"), repr=False)
    _pending: asyncio.TimerHandle | None = field(default=None, repr=False)

    @property
    def received(self) -> int:
        return sum(t.received for t in self.transfers.values())

    @property
    def total(self) -> int | None:
        """The bytes of every transfer, or None while any is unknown (or there is none yet)."""
        totals = [t.total for t in self.transfers.values()]
        if not totals or any(total is None for total in totals):
            return None
        return sum(total for total in totals if total is not None)

    @property
    def fraction(self) -> float | None:
        """0..1 over every transfer, or None while that cannot be known (a progress bar shows "busy")."""
        total = self.total
        if total is None:
            return None
        return 1.0 if total <= 0 else min(1.0, self.received / total)

    @property
    def speed(self) -> float:
        """Bytes per second of the transfers still moving."""
        return sum(t.speed for t in self.transfers.values() if not t.done)

    @property
    def eta(self) -> float | None:
        """Seconds until the transfers still moving finish; None when none moves or that cannot be known."""
        moving = [t for t in self.transfers.values() if not t.done]
        if not moving or any(t.total is None for t in moving):
            return None
        left = sum(max(0, (t.total or 0) - t.received) for t in moving)
        speed = sum(t.speed for t in moving)
        return left / speed if speed > 0 else None

    @property
    def can_cancel(self) -> bool:
        return not self.state.finished and not self._cancel_requested

    @property
    def can_retry(self) -> bool:
        return self.state in (JobState.FAILED, JobState.CANCELLED)

    @property
    def duration(self) -> float | None:
        """Seconds from start to finish (or until now while running); None before it starts."""
        if self.started is None:
            return None
        return (self.finished or time.time()) - self.started


class JobContext:
    """What a job's work uses to report. Belongs to one attempt: reports of an attempt that is over are ignored
    (an unpacking thread may still report after its job was cancelled)."""

    def __init__(self, activity: Activity, job: Job, loop: asyncio.AbstractEventLoop) -> None:
        self._activity = activity
        self._job = job
        self._attempt = job.attempt
        self._loop = loop
        self._loop_thread = threading.get_ident()
        self._posted: dict[str, float] = {}  # unpacking label -> monotonic time of its last post to the loop
        self._unpack_marks: dict[str, tuple[float, int]] = {}  # label -> (time, bytes) of the previous report

    @property
    def job(self) -> Job:
        return self._job

    def _current(self) -> bool:
        return self._job.attempt == self._attempt and not self._job.state.finished

    def cancelled(self) -> bool:
        """True once the player cancelled this attempt; safe from any thread (e.g. `extract(cancelled=...)`)."""
        return self._job._cancel_requested or self._job.attempt != self._attempt

    def set_step(self, text: str) -> None:
        """Say what the job does now, as a short sentence ("Installing 3 mods")."""
        if self._current() and self._job.step != text:
            self._job.step = text
            self._activity._notify(self._job)

    def download_progress(self, label: str, progress: DownloadProgress) -> None:
        """The Installer's `on_download(label, progress)`; the first report of a download sets the step."""
        if not self._current():
            return
        transfer = self._transfer(label, "Downloading")
        transfer.received = progress.received
        transfer.total = progress.total
        transfer.speed = progress.speed
        transfer.eta = progress.eta
        transfer.done = progress.total is not None and progress.received >= progress.total
        if transfer.done:
            transfer.speed = 0.0
        self._activity._progressed(self._job)

    def extract_progress(self, name: str, done: int, total: int) -> None:
        """The Installer's `on_extract(archive name, bytes done, bytes in all)`; callable from a worker thread."""
        if threading.get_ident() == self._loop_thread:
            self._extract_progress_now(name, done, total)
            return
        # Unpacking reports come from asyncio.to_thread, possibly for every chunk: thin them out on this side so
        # that the loop is not flooded, and hand the rest over thread-safely.
        now = time.monotonic()
        if done < total and now - self._posted.get(name, float("-inf")) < EXTRACT_POST_INTERVAL:
            return
        self._posted[name] = now
        with contextlib.suppress(RuntimeError):  # the loop is closed: nobody is listening any more
            self._loop.call_soon_threadsafe(self._extract_progress_now, name, done, total)

    def _extract_progress_now(self, name: str, done: int, total: int) -> None:
        if not self._current():
            return
        label = f"Unpacking {name}"
        transfer = self._transfer(label, "Unpacking")
        now = time.monotonic()
        before = self._unpack_marks.get(label)
        if before is not None and now > before[0] and done >= before[1]:
            newest = (done - before[1]) / (now - before[0])
            transfer.speed = newest if transfer.speed == 0 else (
                SPEED_SMOOTHING * newest + (1 - SPEED_SMOOTHING) * transfer.speed)
        self._unpack_marks[label] = (now, done)
        transfer.received, transfer.total = done, total
        transfer.done = done >= total
        if transfer.done:
            transfer.speed, transfer.eta = 0.0, 0.0
        else:
            transfer.eta = (total - done) / transfer.speed if transfer.speed > 0 else None
        self._activity._progressed(self._job)

    def _transfer(self, label: str, step: str) -> Transfer:
        transfer = self._job.transfers.get(label)
        if transfer is None:
            # A new download or unpacking is what the job does now; a later set_step() says otherwise.
            transfer = self._job.transfers[label] = Transfer(label)
            self._job.step = step
        return transfer

    async def wait_for(self, awaitable: Awaitable[T], step: str = WAITING_STEP) -> T:
        """Await the player's answer (e.g. a Future completed by a dialog's signal) with the job shown as waiting.

        The job keeps its running slot meanwhile: the install it belongs to must not interleave with another.
        """
        job = self._job
        previous_step = job.step
        if self._current():
            job.state, job.step = JobState.WAITING, step
            self._activity._notify(job)
        try:
            return await awaitable
        finally:
            if self._current() and job.state is JobState.WAITING and not job._cancel_requested:
                job.state, job.step = JobState.RUNNING, previous_step
                self._activity._notify(job)


class Activity:
    """The queue of jobs. Needs a running asyncio loop (qasync in the app) when jobs are submitted."""

    def __init__(self, max_running: int = 1, *, progress_interval: float = PROGRESS_INTERVAL,
                 clock: Callable[[], float] = time.monotonic) -> None:
        if max_running < 1:
            raise ValueError("max_running must be at least 1")
        self.max_running = max_running
        self.progress_interval = progress_interval
        self.clock = clock
        self._ids = itertools.count(1)
        self._jobs: dict[int, Job] = {}
        self._queue: deque[int] = deque()
        self._tasks: dict[int, asyncio.Task[None]] = {}  # strong references: asyncio keeps weak ones only
        self._listeners: list[Listener] = []
        self._closed = False

    # -- looking

    def jobs(self) -> list[Job]:
        """Every job still listed, in submission order."""
        return list(self._jobs.values())

    def get(self, job_id: int) -> Job | None:
        return self._jobs.get(job_id)

    def add_listener(self, callback: Listener) -> None:
        self._listeners.append(callback)

    def remove_listener(self, callback: Listener) -> None:
        with contextlib.suppress(ValueError):
            self._listeners.remove(callback)

    def summary(self) -> str:
        """One line for the status bar: "2 running, 1 queued · 3.2 MiB/s · 40 s left"; "" when idle."""
        jobs = self.jobs()
        counts = [(sum(job.state is state for job in jobs), words) for state, words in (
            (JobState.RUNNING, "running"), (JobState.WAITING, "waiting for you"), (JobState.QUEUED, "queued"),
            (JobState.FAILED, "failed"))]
        parts = [", ".join(f"{count} {words}" for count, words in counts if count)]
        active = [job for job in jobs if job.state is JobState.RUNNING]
        speed = sum(job.speed for job in active)
        if speed >= 1:
            parts.append(f"{size_in_words(int(speed))}/s")
        etas = [job.eta for job in active if any(not t.done for t in job.transfers.values())]
        if etas and all(eta is not None for eta in etas):
            parts.append(f"{seconds_in_words(max(eta for eta in etas if eta is not None))} left")
        return " · ".join(part for part in parts if part)

    # -- changing

    def submit(self, title: str, work: Work) -> Job:
        """Queue `work` (a coroutine function taking a JobContext); it starts when a running slot is free."""
        if self._closed:
            raise RuntimeError("the activity is closed")
        job = Job(next(self._ids), title, submitted=time.time(), _work=work)
        self._jobs[job.id] = job
        self._queue.append(job.id)
        self._notify(job)
        self._pump()
        return job

    def cancel(self, job_id: int) -> bool:
        """Cancel a queued, running or waiting job; False when it was finished (or cancelling) already."""
        job = self._jobs.get(job_id)
        if job is None or not job.can_cancel:
            return False
        job._cancel_requested = True
        if job.state is JobState.QUEUED:
            self._queue.remove(job.id)
            self._finish(job, JobState.CANCELLED)
            return True
        task = self._tasks.get(job.id)
        job.step = "Cancelling"
        self._notify(job)
        if task is not None:
            task.cancel()  # CancelledError is raised where the work awaits; the task's end finishes the job
        return True

    def retry(self, job_id: int) -> Job:
        """Queue a failed or cancelled job again, in place: same id, `attempt` + 1, its work called anew."""
        job = self._jobs.get(job_id)
        if job is None:
            raise KeyError(job_id)
        if not job.can_retry:
            raise ValueError(f"job {job_id} is {job.state}: only failed or cancelled jobs can be retried")
        if self._closed:
            raise RuntimeError("the activity is closed")
        job.attempt += 1
        job.state, job.step = JobState.QUEUED, _STEPS["queued"]
        job.transfers, job.problem, job.result = {}, None, None
        job.submitted, job.started, job.finished = time.time(), None, None
        job._cancel_requested = False
        job._finished_event = asyncio.Event()
        self._queue.append(job.id)
        self._notify(job)
        self._pump()
        return job

    def clear_finished(self) -> list[Job]:
        """Remove the done, failed and cancelled jobs from the list; each is reported once more, then forgotten."""
        removed = [job for job in self._jobs.values() if job.state.finished]
        for job in removed:
            del self._jobs[job.id]
        for job in removed:
            self._notify(job)
        return removed

    async def wait(self, job_id: int) -> Job:
        """The job once it is finished (done, failed or cancelled)."""
        job = self._jobs.get(job_id)
        if job is None:
            raise KeyError(job_id)
        while not job.state.finished:
            await job._finished_event.wait()
        return job

    async def aclose(self) -> None:
        """Cancel every job and wait for their work to stop; no job can be submitted afterwards."""
        self._closed = True
        for job in list(self._jobs.values()):
            self.cancel(job.id)
        tasks = list(self._tasks.values())
        if tasks:
            await asyncio.wait(tasks)
        for job in self._jobs.values():
            if job._pending is not None:
                job._pending.cancel()
                job._pending = None

    # -- running

    def _pump(self) -> None:
        """Start queued jobs, oldest first, while a running slot is free."""
        while self._queue and len(self._tasks) < self.max_running and not self._closed:
            self._start(self._jobs[self._queue.popleft()])

    def _start(self, job: Job) -> None:
        loop = asyncio.get_running_loop()
        job.state, job.step, job.started = JobState.RUNNING, "Starting", time.time()
        context = JobContext(self, job, loop)
        task = loop.create_task(self._run(job, context), name=f"kappa-job-{job.id}")
        self._tasks[job.id] = task
        task.add_done_callback(lambda ended, job=job, attempt=job.attempt: self._task_done(job, attempt, ended))
        self._notify(job)

    async def _run(self, job: Job, context: JobContext) -> None:
        assert job._work is not None
        try:
            result = await job._work(context)
        except DownloadCancelled:  # a download stopped through its own cancel event: the player's doing too
            self._finish(job, JobState.CANCELLED)
        except Exception as exc:
            if job._cancel_requested:  # whatever the work raised while it unwound, the player cancelled it
                self._finish(job, JobState.CANCELLED)
            else:
                self._finish(job, JobState.FAILED, problem=describe_problem(exc))
        else:
            if job._cancel_requested:  # the work swallowed the cancellation; what it did is not what was asked
                self._finish(job, JobState.CANCELLED)
            else:
                self._finish(job, JobState.DONE, result=result)
        # CancelledError passes through: _task_done finishes the job (also when it was cancelled before starting)

    def _task_done(self, job: Job, attempt: int, task: asyncio.Task[None]) -> None:
        if not task.cancelled() and task.exception() is not None:  # KeyboardInterrupt and the like
            log.error("job %r stopped abnormally", job.title, exc_info=task.exception())
        if job.attempt == attempt and not job.state.finished:
            self._finish(job, JobState.CANCELLED)

    def _finish(self, job: Job, state: JobState, *, problem: Problem | None = None, result: Any = None) -> None:
        """End the job's attempt: its slot is free at once (a listener may retry it right away)."""
        self._tasks.pop(job.id, None)
        job.state, job.step = state, _STEPS[state]
        job.problem, job.result = problem, result
        job.finished = time.time()
        for transfer in job.transfers.values():
            transfer.speed = 0.0
            if state is JobState.DONE:
                transfer.done = True
                transfer.eta = 0.0
        job._finished_event.set()
        self._notify(job)
        self._pump()

    # -- telling

    def _progressed(self, job: Job) -> None:
        """Progress: tell the listeners now, or once the interval since the last notification is over."""
        since = self.clock() - job._notified_at
        if since >= self.progress_interval:
            self._notify(job)
        elif job._pending is None:
            with contextlib.suppress(RuntimeError):
                job._pending = asyncio.get_running_loop().call_later(
                    self.progress_interval - since, self._flush, job)

    def _flush(self, job: Job) -> None:
        job._pending = None
        self._notify(job)

    def _notify(self, job: Job) -> None:
        """Tell every listener about `job` now; the newest state includes any progress still pending."""
        if job._pending is not None:
            job._pending.cancel()
            job._pending = None
        job._notified_at = self.clock()
        for listener in list(self._listeners):
            try:
                listener(job)
            except Exception:
                log.exception("an activity listener failed on job %r", job.title)


# -- problems in words ------------------------------------------------------------------------------------------

RETRY = "Press Retry to try again."


def describe_problem(exc: BaseException) -> Problem:
    """What went wrong and what the player can do next, for any exception a job's work raised."""
    if isinstance(exc, NotADirectLink):
        return Problem(_before_advice(str(exc)),
                       "Open the download page in your browser, save the archive, then drop it onto Kappa.",
                       exc.link)
    if isinstance(exc, DownloadCancelled):
        return Problem("The download was cancelled.", "Press Retry to continue where it stopped.")
    if isinstance(exc, DownloadError):
        return Problem(str(exc), RETRY + " A download continues where it stopped.")
    if isinstance(exc, ProcessRunning):
        return Problem(str(exc), "Close the SPT server, the launcher and the game, then press Retry.")
    if isinstance(exc, FilesConflict):
        return Problem(str(exc), "Start the change again and choose whether to overwrite those files or keep them.")
    if isinstance(exc, NotEnoughSpace):
        return Problem(str(exc), "Free some space on that disk (or lower the backup limits in Settings), then press "
                                 "Retry.")
    if isinstance(exc, InstallBusy):
        return Problem(str(exc), "Wait until the other change to this install is over (another Kappa window may be "
                                 "making it), then press Retry.")
    if isinstance(exc, FileInUse):
        return Problem(str(exc), "Close the program that uses the file, then press Retry.")
    if isinstance(exc, ForgeRateLimited):
        wait = f"Wait {seconds_in_words(exc.retry_after)}" if exc.retry_after else "Wait a minute"
        return Problem("The Forge asks Kappa to slow down: too many requests were sent.", f"{wait}, then press Retry.")
    if isinstance(exc, ForgeUnauthenticated):
        return Problem(str(exc), "Enter your Forge API token in Settings, then press Retry.")
    if isinstance(exc, ForgeApiError):
        return Problem(str(exc), RETRY + " If it keeps failing, check the Forge address in Settings.")
    if isinstance(exc, ServerUnreachable):
        if exc.certificate_rejected:
            return Problem(str(exc), "Check the server's certificate in the Servers panel, then press Retry.")
        return Problem(str(exc), "Check that the server runs and that this computer can reach it, then press Retry.")
    if isinstance(exc, NetworkError):
        return Problem(_sentence(str(exc)),
                       "Check your internet connection and the Forge address (or its mirror) in Settings, then "
                       "press Retry.")
    if isinstance(exc, KappaError):
        return Problem(str(exc), RETRY)
    if isinstance(exc, asyncio.CancelledError):
        return Problem("Cancelled.", RETRY)
    log.error("unexpected error in a job", exc_info=(type(exc), exc, exc.__traceback__))
    detail = f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
    return Problem(f"Something unexpected went wrong: {detail}",
                   RETRY + " If it happens again, Kappa's log has the details for a bug report.")


def _sentence(text: str) -> str:
    """"could not reach x" -> "Could not reach x.": lower-level messages are not always written as sentences."""
    text = text.strip() or "Kappa could not reach the server."
    text = text[0].upper() + text[1:]
    return text if text.endswith((".", "!", "?")) else text + "."


def _before_advice(message: str) -> str:
    """A landing-page message without its "Open <link> in your browser..." advice: the problem gives it apart."""
    head, found, _advice = message.partition(" Open ")
    return head if found and head else message
