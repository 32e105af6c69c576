"""The activity queue: order and slots, cancel (queued, running, waiting), retry, progress throttling, the status-bar
summary, problems in words, and listeners that fail. Each scenario runs in its own `asyncio.run`."""

from __future__ import annotations

import asyncio
import logging
import threading
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest

from app.core.errors import KappaError
from app.core.install import Conflict, FileInUse, FilesConflict, InstallBusy, NotEnoughSpace, ProcessRunning
from app.core.processes import RunningProcess
from app.net.download import DownloadProgress
from app.net.forge import ForgeApiError, ForgeRateLimited, ForgeUnauthenticated
from app.net.http import NetworkError, ServerUnreachable
from app.net.links import DownloadCancelled, DownloadError, refuse_landing_page
from app.services.activity import Activity, Job, JobContext, JobState, Problem, describe_problem

MiB = 1024 * 1024


def run(scenario: Callable[[], Awaitable[Any]]) -> Any:
    return asyncio.run(asyncio.wait_for(scenario(), timeout=10))


async def until(condition: Callable[[], bool], timeout: float = 5.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError("the condition never became true")
        await asyncio.sleep(0.005)


class Recorder:
    """A listener that keeps (job id, state, step, received) of every notification."""

    def __init__(self) -> None:
        self.seen: list[tuple[int, JobState, str, int]] = []

    def __call__(self, job: Job) -> None:
        self.seen.append((job.id, job.state, job.step, job.received))

    def states(self, job_id: int) -> list[JobState]:
        states = [state for seen_id, state, _step, _received in self.seen if seen_id == job_id]
        return [state for i, state in enumerate(states) if i == 0 or states[i - 1] != state]


# -- order and slots


def test_jobs_run_one_at_a_time_in_submission_order() -> None:
    async def scenario() -> None:
        activity = Activity()
        events: list[str] = []

        def work(name: str) -> Callable[[JobContext], Awaitable[str]]:
            async def body(context: JobContext) -> str:
                events.append(f"start {name}")
                await asyncio.sleep(0.01)
                events.append(f"end {name}")
                return name.upper()
            return body

        jobs = [activity.submit(f"Install {name}", work(name)) for name in ("a", "b", "c")]
        assert [job.state for job in jobs] == [JobState.RUNNING, JobState.QUEUED, JobState.QUEUED]
        finished = [await activity.wait(job.id) for job in jobs]
        assert events == ["start a", "end a", "start b", "end b", "start c", "end c"]
        assert [job.state for job in finished] == [JobState.DONE] * 3
        assert [job.result for job in finished] == ["A", "B", "C"]
        assert all(job.step == "Done" and job.started and job.finished for job in finished)
        assert activity.jobs() == jobs

    run(scenario)


def test_max_running_jobs_share_the_slots_and_the_next_starts_when_one_ends() -> None:
    async def scenario() -> None:
        activity = Activity(max_running=2)
        gates = [asyncio.Event() for _ in range(4)]
        running: set[int] = set()
        peak = 0

        def work(index: int) -> Callable[[JobContext], Awaitable[None]]:
            async def body(context: JobContext) -> None:
                nonlocal peak
                running.add(index)
                peak = max(peak, len(running))
                await gates[index].wait()
                running.discard(index)
            return body

        jobs = [activity.submit(f"Job {i}", work(i)) for i in range(4)]
        await until(lambda: running == {0, 1})
        assert [job.state for job in jobs] == [JobState.RUNNING, JobState.RUNNING, JobState.QUEUED, JobState.QUEUED]
        gates[1].set()
        await until(lambda: running == {0, 2})
        for gate in gates:
            gate.set()
        for job in jobs:
            await activity.wait(job.id)
        assert peak == 2

    run(scenario)


def test_max_running_must_be_positive() -> None:
    with pytest.raises(ValueError):
        Activity(max_running=0)


# -- cancel


def test_cancelling_a_queued_job_ends_it_at_once_and_its_work_never_runs() -> None:
    async def scenario() -> None:
        activity = Activity()
        gate = asyncio.Event()
        calls: list[str] = []

        async def first(context: JobContext) -> None:
            await gate.wait()

        async def second(context: JobContext) -> None:
            calls.append("second ran")

        running = activity.submit("First", first)
        queued = activity.submit("Second", second)
        assert activity.cancel(queued.id) is True
        assert queued.state is JobState.CANCELLED and queued.step == "Cancelled"
        assert activity.cancel(queued.id) is False  # finished already
        gate.set()
        await activity.wait(running.id)
        await asyncio.sleep(0.01)
        assert calls == [] and running.state is JobState.DONE

    run(scenario)


def test_cancelling_a_running_job_raises_cancelled_error_in_its_work_and_starts_the_next() -> None:
    async def scenario() -> None:
        activity = Activity()
        recorder = Recorder()
        activity.add_listener(recorder)
        seen: list[str] = []
        started = asyncio.Event()

        async def forever(context: JobContext) -> None:
            context.set_step("Downloading")
            started.set()
            try:
                await asyncio.Event().wait()
            except asyncio.CancelledError:
                seen.append("cancelled")
                raise

        async def after(context: JobContext) -> str:
            return "ran"

        job = activity.submit("Update 3 mods", forever)
        nxt = activity.submit("Install SAIN.zip", after)
        await started.wait()
        assert activity.cancel(job.id)
        assert job.step == "Cancelling" and not job.can_cancel
        finished = await activity.wait(job.id)
        assert finished.state is JobState.CANCELLED and finished.step == "Cancelled" and finished.problem is None
        assert seen == ["cancelled"]
        assert (await activity.wait(nxt.id)).result == "ran"
        assert recorder.states(job.id) == [JobState.QUEUED, JobState.RUNNING, JobState.CANCELLED]

    run(scenario)


def test_a_job_cancelled_in_the_same_tick_it_started_is_cancelled_without_running() -> None:
    async def scenario() -> None:
        activity = Activity()
        calls: list[str] = []

        async def work(context: JobContext) -> None:
            calls.append("ran")

        job = activity.submit("Quick", work)
        assert job.state is JobState.RUNNING
        activity.cancel(job.id)
        assert (await activity.wait(job.id)).state is JobState.CANCELLED
        assert calls == []

    run(scenario)


def test_a_download_cancelled_through_its_own_event_counts_as_cancelled() -> None:
    async def scenario() -> None:
        activity = Activity()

        async def work(context: JobContext) -> None:
            raise DownloadCancelled("The download of a.zip was cancelled.")

        job = await activity.wait(activity.submit("Download a.zip", work).id)
        assert job.state is JobState.CANCELLED and job.problem is None and job.can_retry

    run(scenario)


# -- waiting for the player


def test_waiting_for_an_answer_shows_as_waiting_then_running_again() -> None:
    async def scenario() -> None:
        activity = Activity()
        answer: asyncio.Future[bool] = asyncio.get_running_loop().create_future()
        asked = asyncio.Event()

        async def work(context: JobContext) -> bool:
            context.set_step("Planning")
            waiting = context.wait_for(answer)
            asked.set()
            confirmed = await waiting
            assert context.job.state is JobState.RUNNING and context.job.step == "Planning"
            context.set_step("Installing")
            return confirmed

        job = activity.submit("Install SAIN.zip", work)
        await asked.wait()
        await asyncio.sleep(0)
        assert job.state is JobState.WAITING and job.step == "Waiting for you to confirm"
        assert activity.summary() == "1 waiting for you"
        answer.set_result(True)
        finished = await activity.wait(job.id)
        assert finished.state is JobState.DONE and finished.result is True

    run(scenario)


def test_cancelling_a_waiting_job_cancels_what_it_awaits() -> None:
    async def scenario() -> None:
        activity = Activity()
        answer: asyncio.Future[bool] = asyncio.get_running_loop().create_future()

        async def work(context: JobContext) -> bool:
            return await context.wait_for(answer, "Waiting for you to choose the files")

        job = activity.submit("Install", work)
        await until(lambda: job.state is JobState.WAITING)
        assert job.step == "Waiting for you to choose the files"
        activity.cancel(job.id)
        assert (await activity.wait(job.id)).state is JobState.CANCELLED
        assert answer.cancelled()

    run(scenario)


# -- failures and retry


def test_a_failed_job_is_retried_in_place_and_runs_its_work_again() -> None:
    async def scenario() -> None:
        activity = Activity()
        attempts: list[int] = []

        async def flaky(context: JobContext) -> str:
            attempts.append(context.job.attempt)
            context.download_progress("SAIN 3.2.0", DownloadProgress("u", 10, 100, 5.0))
            if len(attempts) == 1:
                raise KappaError("The Forge gives no download link for SAIN 3.2.0.")
            return "installed"

        job = await activity.wait(activity.submit("Install SAIN", flaky).id)
        assert job.state is JobState.FAILED and job.step == "Failed"
        assert job.problem == Problem("The Forge gives no download link for SAIN 3.2.0.", "Press Retry to try again.")
        assert activity.summary() == "1 failed"
        again = activity.retry(job.id)
        assert again is job and job.attempt == 2 and job.problem is None and job.transfers == {}
        assert job.state is JobState.RUNNING  # the slot was free: it started at once
        finished = await activity.wait(job.id)
        assert finished.state is JobState.DONE and finished.result == "installed" and finished.problem is None
        assert attempts == [1, 2] and activity.jobs() == [job]
        assert activity.summary() == ""

    run(scenario)


def test_only_failed_or_cancelled_jobs_can_be_retried() -> None:
    async def scenario() -> None:
        activity = Activity()
        gate = asyncio.Event()

        async def work(context: JobContext) -> None:
            await gate.wait()

        job = activity.submit("Install", work)
        with pytest.raises(ValueError):
            activity.retry(job.id)
        gate.set()
        await activity.wait(job.id)
        with pytest.raises(ValueError):
            activity.retry(job.id)  # done
        with pytest.raises(KeyError):
            activity.retry(999)

    run(scenario)


def test_a_retried_cancelled_job_goes_to_the_back_of_the_queue() -> None:
    async def scenario() -> None:
        activity = Activity()
        order: list[str] = []
        gate = asyncio.Event()

        def work(name: str) -> Callable[[JobContext], Awaitable[None]]:
            async def body(context: JobContext) -> None:
                order.append(name)
                await gate.wait()
            return body

        first = activity.submit("first", work("first"))
        second = activity.submit("second", work("second"))
        third = activity.submit("third", work("third"))
        activity.cancel(second.id)
        activity.retry(second.id)
        gate.set()
        for job in (first, second, third):
            await activity.wait(job.id)
        assert order == ["first", "third", "second"]

    run(scenario)


def test_an_unexpected_exception_fails_the_job_in_words_and_logs_the_traceback(
        caplog: pytest.LogCaptureFixture) -> None:
    async def scenario() -> Job:
        activity = Activity()

        async def broken(context: JobContext) -> None:
            raise ZeroDivisionError("division by zero")

        return await activity.wait(activity.submit("Install", broken).id)

    with caplog.at_level(logging.ERROR, logger="app.services.activity"):
        job = run(scenario)
    assert job.state is JobState.FAILED and job.problem is not None
    assert job.problem.message == "Something unexpected went wrong: ZeroDivisionError: division by zero"
    assert "Traceback" not in job.problem.message + job.problem.next_step
    assert any(record.exc_info and record.exc_info[0] is ZeroDivisionError for record in caplog.records)


# -- listeners, progress and throttling


def test_a_failing_listener_is_logged_and_the_others_still_hear(caplog: pytest.LogCaptureFixture) -> None:
    async def scenario() -> tuple[Job, Recorder]:
        activity = Activity()

        def broken(job: Job) -> None:
            raise RuntimeError("listener bug")

        recorder = Recorder()
        activity.add_listener(broken)
        activity.add_listener(recorder)

        async def work(context: JobContext) -> int:
            context.set_step("Installing")
            return 1

        job = await activity.wait(activity.submit("Install", work).id)
        return job, recorder

    with caplog.at_level(logging.ERROR, logger="app.services.activity"):
        job, recorder = run(scenario)
    assert job.state is JobState.DONE and job.result == 1
    assert recorder.states(job.id) == [JobState.QUEUED, JobState.RUNNING, JobState.DONE]
    assert ("Installing" in [step for _id, _state, step, _received in recorder.seen])
    assert any("listener" in record.getMessage() for record in caplog.records)


def test_progress_reaches_listeners_at_most_ten_times_a_second_but_state_changes_at_once() -> None:
    async def scenario() -> None:
        activity = Activity()
        recorder = Recorder()
        activity.add_listener(recorder)
        reported = asyncio.Event()
        gate = asyncio.Event()

        async def work(context: JobContext) -> None:
            started = time.monotonic()
            received = 0
            while time.monotonic() - started < 0.35:
                received += 1000
                context.download_progress("SAIN 3.2.0", DownloadProgress("u", received, 10**9, 1e6))
                await asyncio.sleep(0.001)
            context.set_step("Installing")  # a change of step is told at once, with the newest progress
            reported.set()
            await gate.wait()

        job = activity.submit("Update SAIN", work)
        begun = time.monotonic()
        await reported.wait()
        elapsed = time.monotonic() - begun
        progress = [seen for seen in recorder.seen if seen[2] == "Downloading"]
        assert 2 <= len(progress) <= elapsed / 0.1 + 2  # some hundred reports came in
        assert recorder.seen[-1][2:] == ("Installing", job.received)
        gate.set()
        await activity.wait(job.id)
        assert recorder.seen[-1][1] is JobState.DONE

    run(scenario)


def test_the_last_report_of_a_burst_is_delivered_when_the_interval_is_over() -> None:
    async def scenario() -> None:
        activity = Activity()
        recorder = Recorder()
        gate = asyncio.Event()
        contexts: list[JobContext] = []

        async def work(context: JobContext) -> None:
            contexts.append(context)
            await gate.wait()

        job = activity.submit("Download", work)
        await until(lambda: bool(contexts))
        await asyncio.sleep(0.12)  # the interval since the "running" notification is over
        activity.add_listener(recorder)
        for received in range(1, 51):
            contexts[0].download_progress("a", DownloadProgress("a", received, 100, 10.0))
        assert [seen[3] for seen in recorder.seen] == [1]  # the rest is held back...
        await until(lambda: len(recorder.seen) > 1)
        assert [seen[3] for seen in recorder.seen] == [1, 50]  # ...and its newest state follows
        gate.set()
        await activity.wait(job.id)

    run(scenario)


def test_download_and_unpacking_reports_make_transfers_with_speed_and_time_left() -> None:
    async def scenario() -> None:
        activity = Activity()
        gate = asyncio.Event()
        steps: list[str] = []

        async def work(context: JobContext) -> None:
            context.download_progress("SAIN 3.2.0", DownloadProgress("u", 1 * MiB, 5 * MiB, 2.0 * MiB))
            steps.append(context.job.step)
            context.download_progress("BigBrain 1.3.0", DownloadProgress("v", 512, None, 1024.0))
            await gate.wait()
            context.download_progress("SAIN 3.2.0", DownloadProgress("u", 5 * MiB, 5 * MiB, 2.0 * MiB))
            context.download_progress("BigBrain 1.3.0", DownloadProgress("v", 2048, 2048, 1024.0))
            # Installer._stage reports unpacking from asyncio.to_thread
            await asyncio.to_thread(context.extract_progress, "SAIN-3.2.0.zip", 0, 4 * MiB)
            await until(lambda: "Unpacking SAIN-3.2.0.zip" in context.job.transfers)
            steps.append(context.job.step)
            context.set_step("Installing")
            await installed.wait()

        installed = asyncio.Event()
        queued_gate = asyncio.Event()

        async def later(context: JobContext) -> None:
            await queued_gate.wait()

        job = activity.submit("Update 2 mods", work)
        other = activity.submit("Install Foo.zip", later)
        await until(lambda: len(job.transfers) == 2)
        sain = job.transfers["SAIN 3.2.0"]
        assert (sain.received, sain.total, sain.eta, sain.done) == (1 * MiB, 5 * MiB, 2.0, False)
        assert job.total is None and job.fraction is None and job.eta is None  # one size is unknown
        assert job.speed == 2.0 * MiB + 1024
        assert activity.summary() == "1 running, 1 queued · 2.0 MiB/s"
        gate.set()
        await until(lambda: job.step == "Installing")
        assert steps == ["Downloading", "Unpacking"]
        assert job.transfers["SAIN 3.2.0"].done and job.transfers["BigBrain 1.3.0"].done
        unpacking = job.transfers["Unpacking SAIN-3.2.0.zip"]
        assert (unpacking.received, unpacking.total, unpacking.done) == (0, 4 * MiB, False)
        assert job.total == 5 * MiB + 2048 + 4 * MiB and job.fraction == pytest.approx((5 * MiB + 2048) / job.total)
        installed.set()
        queued_gate.set()
        done = await activity.wait(job.id)
        assert all(transfer.done for transfer in done.transfers.values())
        await activity.wait(other.id)

    run(scenario)


def test_the_summary_counts_jobs_and_gives_speed_and_time_left() -> None:
    async def scenario() -> None:
        activity = Activity(max_running=2)
        assert activity.summary() == ""
        gate = asyncio.Event()

        async def downloading(context: JobContext) -> None:
            context.download_progress("A", DownloadProgress("a", 1 * MiB, 5 * MiB, 1.5 * MiB))
            await gate.wait()

        async def failing(context: JobContext) -> None:
            raise KappaError("No.")

        failed = activity.submit("Fails", failing)
        await activity.wait(failed.id)
        first = activity.submit("Update A", downloading)
        second = activity.submit("Update B", downloading)
        activity.submit("Update C", downloading)
        await until(lambda: bool(first.transfers) and bool(second.transfers))
        # 3 MiB/s in all; each job has 4 MiB left at 1.5 MiB/s: 2.7 s, said as whole seconds
        assert activity.summary() == "2 running, 1 queued, 1 failed · 3.0 MiB/s · 2 s left"
        activity.clear_finished()
        assert activity.summary() == "2 running, 1 queued · 3.0 MiB/s · 2 s left"
        gate.set()
        for job in activity.jobs():
            await activity.wait(job.id)
        assert activity.summary() == ""

    run(scenario)


def test_unpacking_reports_of_a_cancelled_attempt_are_ignored() -> None:
    async def scenario() -> None:
        activity = Activity()
        contexts: list[JobContext] = []

        async def work(context: JobContext) -> None:
            contexts.append(context)
            await asyncio.Event().wait()

        job = activity.submit("Install", work)
        await until(lambda: bool(contexts))
        activity.cancel(job.id)
        await activity.wait(job.id)
        assert contexts[0].cancelled()
        # a worker thread that goes on unpacking after the cancel: nothing changes any more
        thread = threading.Thread(target=contexts[0].extract_progress, args=("a.zip", 10, 100))
        thread.start()
        thread.join()
        await asyncio.sleep(0.02)
        contexts[0].download_progress("a", DownloadProgress("a", 1, 2, 1.0))
        assert job.transfers == {} and job.state is JobState.CANCELLED

    run(scenario)


def test_clear_finished_forgets_finished_jobs_and_reports_them_once_more() -> None:
    async def scenario() -> None:
        activity = Activity()
        recorder = Recorder()
        gate = asyncio.Event()

        async def quick(context: JobContext) -> None:
            return None

        async def slow(context: JobContext) -> None:
            await gate.wait()

        done = await activity.wait(activity.submit("Done", quick).id)
        running = activity.submit("Running", slow)
        activity.add_listener(recorder)
        removed = activity.clear_finished()
        assert removed == [done] and activity.jobs() == [running] and activity.get(done.id) is None
        assert [seen[0] for seen in recorder.seen] == [done.id]
        gate.set()
        await activity.wait(running.id)

    run(scenario)


def test_aclose_cancels_running_and_queued_jobs_and_refuses_new_ones() -> None:
    async def scenario() -> None:
        activity = Activity()
        stopped: list[str] = []

        async def forever(context: JobContext) -> None:
            try:
                await asyncio.Event().wait()
            finally:
                stopped.append(context.job.title)

        running = activity.submit("A", forever)
        queued = activity.submit("B", forever)
        await asyncio.sleep(0)
        await activity.aclose()
        assert running.state is JobState.CANCELLED and queued.state is JobState.CANCELLED
        assert stopped == ["A"]
        with pytest.raises(RuntimeError):
            activity.submit("C", forever)

    run(scenario)


# -- problems in words


def test_a_link_that_is_not_a_direct_download_offers_its_page() -> None:
    problem = describe_problem(refuse_landing_page("https://www.mediafire.com/file/abc/SAIN.7z/file"))
    assert problem.link == "https://www.mediafire.com/file/abc/SAIN.7z/file"
    assert "not a direct download link" in problem.message and "MediaFire" in problem.message
    assert " Open " not in problem.message  # the advice is the next step, not repeated in the message
    assert problem.next_step == ("Open the download page in your browser, save the archive, then drop it onto "
                                 "Kappa.")


@pytest.mark.parametrize(("error", "message_has", "next_step_has"), [
    (ProcessRunning([RunningProcess("SPT.Server.exe", 4242, None)], Path("/games/spt")),
     "SPT.Server.exe (pid 4242) is running", "Close the SPT server, the launcher and the game, then press Retry."),
    (FilesConflict([Conflict("BepInEx/plugins/a.dll", None, None, "SAIN")]), "would overwrite",
     "overwrite those files or keep them"),
    (NotEnoughSpace("Not enough free space on the disk holding /games/spt."), "Not enough free space",
     "Free some space"),
    (InstallBusy("Another Kappa is changing this install."), "Another Kappa", "then press Retry"),
    (FileInUse("a.dll is in use by another program."), "in use", "Close the program"),
    (ForgeUnauthenticated("The Forge wants a token.", endpoint="/mods", status=401), "wants a token",
     "Forge API token in Settings"),
    (ForgeApiError("The Forge could not answer /mods.", endpoint="/mods", status=400), "could not answer",
     "check the Forge address in Settings"),
    (NetworkError("could not reach https://forge.sp-tarkov.com (connection refused)"),
     "Could not reach https://forge.sp-tarkov.com (connection refused).", "Check your internet connection"),
    (ServerUnreachable("Fika at 10.0.0.2", "connection refused"), "Fika at 10.0.0.2 cannot be reached",
     "Check that the server runs"),
    (ServerUnreachable("Fika", "its certificate was not accepted", certificate_rejected=True), "certificate",
     "certificate in the Servers panel"),
    (DownloadError("The download of a.zip failed 5 times."), "failed 5 times", "continues where it stopped"),
    (KappaError("SAIN.zip: Kappa cannot tell which mod this is."), "cannot tell which mod", "Press Retry"),
])
def test_each_kind_of_error_gets_its_words_and_next_step(error: BaseException, message_has: str,
                                                        next_step_has: str) -> None:
    problem = describe_problem(error)
    assert message_has in problem.message
    assert next_step_has in problem.next_step
    assert problem.link is None


def test_a_rate_limit_says_how_long_to_wait() -> None:
    limited = ForgeRateLimited("Too many requests.", endpoint="/mods", status=429)
    limited.retry_after = 30.0
    assert describe_problem(limited) == Problem("The Forge asks Kappa to slow down: too many requests were sent.",
                                                "Wait 30 s, then press Retry.")
    unknown = ForgeRateLimited("Too many requests.", endpoint="/mods", status=429)
    assert describe_problem(unknown).next_step == "Wait a minute, then press Retry."


def test_any_other_exception_is_one_sentence_and_a_logged_traceback(caplog: pytest.LogCaptureFixture) -> None:
    try:
        raise ValueError("bad value")
    except ValueError as exc:
        error = exc
    with caplog.at_level(logging.ERROR, logger="app.services.activity"):
        problem = describe_problem(error)
    assert problem.message == "Something unexpected went wrong: ValueError: bad value"
    assert "log" in problem.next_step
    record = caplog.records[-1]
    assert record.exc_info is not None and record.exc_info[1] is error
    assert "Traceback" in caplog.text
