"""The Activity dock over a real `Activity`: progress, speed and time left, Cancel (button and Delete key), a failed
job's problem with its link and Retry, "Clear finished", the status-bar summary, and a real download from the
sandbox file host stopped half-way by Cancel."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Coroutine, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from PySide6.QtCore import Qt, QUrl
from PySide6.QtWidgets import QLabel
from pytestqt.qtbot import QtBot

from app.net.download import Downloader, DownloadProgress
from app.net.http import create_client
from app.net.links import refuse_landing_page
from app.sandbox.file_host import FileHost
from app.services.activity import Activity, JobContext, JobState
from app.ui.activity_dock import BAR_STEPS, ActivityDock

WAIT_MS = 5000
MiB = 1024 * 1024


def run(qtbot: QtBot, work: Coroutine[Any, Any, Any]) -> Any:
    task = asyncio.ensure_future(work)
    qtbot.waitUntil(task.done, timeout=WAIT_MS)
    return task.result()


class Opener:
    """Stands for QDesktopServices.openUrl: the pages the dock asked to open."""

    def __init__(self) -> None:
        self.urls: list[str] = []

    def __call__(self, url: QUrl) -> bool:
        self.urls.append(url.toString())
        return True


@pytest.fixture
def activity(qtbot: QtBot, event_loop: asyncio.AbstractEventLoop) -> Iterator[Activity]:
    activity = Activity()
    yield activity
    run(qtbot, activity.aclose())


@pytest.fixture
def opener() -> Opener:
    return Opener()


@pytest.fixture
def dock(qtbot: QtBot, activity: Activity, opener: Opener) -> Iterator[ActivityDock]:
    dock = ActivityDock(activity, opener=opener)
    qtbot.addWidget(dock)
    dock.resize(720, 320)
    dock.show()
    yield dock
    dock.detach()


def waiting_forever(seen: list[str]) -> Callable[[JobContext], Coroutine[Any, Any, None]]:
    """Work that awaits until cancelled, and notes that it saw the cancellation."""
    async def work(context: JobContext) -> None:
        context.set_step("Downloading")
        try:
            await asyncio.Event().wait()
        except asyncio.CancelledError:
            seen.append("cancelled")
            raise
    return work


def problem_label(dock: ActivityDock, job_id: int) -> QLabel:
    row = dock.rows[job_id]
    assert row.problem_label is not None, "no problem row under the job"
    return row.problem_label


# -- progress


def test_a_job_reporting_progress_shows_its_bar_speed_time_left_and_transfer(qtbot: QtBot, activity: Activity,
                                                                            dock: ActivityDock) -> None:
    summaries: list[str] = []
    dock.summary_changed.connect(summaries.append)
    gate = asyncio.Event()

    async def work(context: JobContext) -> str:
        context.download_progress("SAIN 3.2.0", DownloadProgress("u", 2 * MiB, 8 * MiB, 1.0 * MiB))
        await gate.wait()
        return "ok"

    job = activity.submit("Update SAIN", work)
    row = dock.rows[job.id]
    qtbot.waitUntil(lambda: row.bar.isVisible() and row.bar.value() == BAR_STEPS // 4, timeout=WAIT_MS)
    assert row.bar.maximum() == BAR_STEPS
    assert row.item.text(dock.TASK) == "Update SAIN" and row.item.text(dock.STATUS) == "Downloading"
    assert row.item.text(dock.SPEED) == "1.0 MiB/s" and row.item.text(dock.LEFT) == "6 s"
    assert row.button.text() == "Cancel" and row.button.isEnabled()
    transfer = row.transfers["SAIN 3.2.0"]
    assert transfer.item.parent() is row.item and transfer.bar.value() == BAR_STEPS // 4
    assert transfer.item.text(dock.STATUS) == "2.0 MiB of 8.0 MiB"
    assert summaries[-1] == dock.summary == "1 running · 1.0 MiB/s · 6 s left"

    gate.set()
    qtbot.waitUntil(lambda: job.state is JobState.DONE and row.item.text(dock.STATUS) == "Done", timeout=WAIT_MS)
    assert not row.bar.isVisible() and not row.button.isVisible() and row.item.text(dock.SPEED) == ""
    assert summaries[-1] == dock.summary == ""


def test_a_job_of_unknown_size_shows_a_busy_bar(qtbot: QtBot, activity: Activity, dock: ActivityDock) -> None:
    gate = asyncio.Event()

    async def work(context: JobContext) -> None:
        context.download_progress("Mirror file", DownloadProgress("u", 300_000, None, 50_000.0))
        await gate.wait()

    job = activity.submit("Download a file", work)
    row = dock.rows[job.id]
    qtbot.waitUntil(lambda: row.bar.isVisible() and row.bar.maximum() == 0, timeout=WAIT_MS)  # busy
    assert row.item.text(dock.LEFT) == ""  # no time left can be known
    gate.set()
    qtbot.waitUntil(lambda: job.state is JobState.DONE, timeout=WAIT_MS)


def test_frequent_progress_is_repainted_at_most_ten_times_a_second(qtbot: QtBot, activity: Activity,
                                                                   dock: ActivityDock) -> None:
    painted: list[int] = []
    gate = asyncio.Event()
    took: list[float] = []

    async def work(context: JobContext) -> None:
        started = time.monotonic()
        for step in range(1, 301):
            context.download_progress("a", DownloadProgress("a", step, 300, 100.0))
            await asyncio.sleep(0.001)
        took.append(time.monotonic() - started)
        await gate.wait()

    job = activity.submit("Download", work)
    row = dock.rows[job.id]
    row.bar.valueChanged.connect(painted.append)
    qtbot.waitUntil(lambda: row.bar.value() == BAR_STEPS, timeout=WAIT_MS)
    assert took and len(painted) <= took[0] / 0.1 + 3  # not 300
    gate.set()


# -- cancel


def test_the_cancel_button_cancels_a_job_whose_work_is_awaiting(qtbot: QtBot, activity: Activity,
                                                                dock: ActivityDock) -> None:
    seen: list[str] = []
    job = activity.submit("Install SAIN.zip", waiting_forever(seen))
    queued = activity.submit("Install Foo.zip", waiting_forever([]))
    row = dock.rows[job.id]
    qtbot.waitUntil(lambda: row.item.text(dock.STATUS) == "Downloading", timeout=WAIT_MS)
    assert dock.rows[queued.id].item.text(dock.STATUS) == "Queued"

    qtbot.mouseClick(row.button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: row.item.text(dock.STATUS) == "Cancelled", timeout=WAIT_MS)
    assert seen == ["cancelled"] and job.state is JobState.CANCELLED
    assert row.button.text() == "Retry" and row.button.isEnabled()
    qtbot.waitUntil(lambda: dock.rows[queued.id].item.text(dock.STATUS) == "Downloading", timeout=WAIT_MS)


def test_delete_cancels_the_selected_job(qtbot: QtBot, activity: Activity, dock: ActivityDock) -> None:
    seen: list[str] = []
    job = activity.submit("Update 3 mods", waiting_forever(seen))
    qtbot.waitUntil(lambda: job.step == "Downloading", timeout=WAIT_MS)
    dock.select_job(job.id)
    dock.tree.setFocus()
    assert dock.cancel_action.isEnabled()
    qtbot.keyClick(dock.tree, Qt.Key.Key_Delete)
    qtbot.waitUntil(lambda: job.state is JobState.CANCELLED, timeout=WAIT_MS)
    assert seen == ["cancelled"]
    assert not dock.cancel_action.isEnabled() and dock.retry_action.isEnabled()


# -- problems and retry


def test_a_failed_job_shows_its_problem_next_step_and_link_and_retry_runs_it_again(
        qtbot: QtBot, activity: Activity, dock: ActivityDock, opener: Opener) -> None:
    link = "https://www.mediafire.com/file/abc/SAIN.7z/file"
    attempts: list[int] = []

    async def work(context: JobContext) -> str:
        attempts.append(context.job.attempt)
        if len(attempts) == 1:
            raise refuse_landing_page(link)
        context.set_step("Installing")
        return "installed"

    summaries: list[str] = []
    dock.summary_changed.connect(summaries.append)
    job = activity.submit("Install SAIN", work)
    row = dock.rows[job.id]
    qtbot.waitUntil(lambda: row.problem_label is not None, timeout=WAIT_MS)
    label = problem_label(dock, job.id)
    text = label.text()
    assert "not a direct download link" in text
    assert "Open the download page in your browser, save the archive, then drop it onto Kappa." in text
    assert f'href="{link}"' in text
    assert row.item.isExpanded() and row.item.child(0) is row.problem_item
    assert label.isVisible() and label.height() >= label.heightForWidth(label.width()) - 2  # every line shows
    assert row.item.text(dock.STATUS) == "Failed" and row.button.text() == "Retry"
    assert summaries[-1] == "1 failed"

    label.linkActivated.emit(link)  # what a click on the link does
    assert opener.urls == [link]
    dock.select_job(job.id)
    assert dock.open_link_action.isEnabled()
    dock.open_link_action.trigger()
    assert opener.urls == [link, link]

    qtbot.mouseClick(row.button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: job.state is JobState.DONE, timeout=WAIT_MS)
    assert attempts == [1, 2] and job.result == "installed"
    qtbot.waitUntil(lambda: row.problem_item is None and row.item.text(dock.STATUS) == "Done", timeout=WAIT_MS)
    assert summaries[-1] == ""


def test_an_unexpected_error_shows_one_sentence_not_a_traceback(qtbot: QtBot, activity: Activity,
                                                                dock: ActivityDock) -> None:
    async def work(context: JobContext) -> None:
        raise RuntimeError("the archive listing was empty")

    job = activity.submit("Install Foo.zip", work)
    qtbot.waitUntil(lambda: dock.rows[job.id].problem_label is not None, timeout=WAIT_MS)
    text = problem_label(dock, job.id).text()
    assert "Something unexpected went wrong: RuntimeError: the archive listing was empty" in text
    assert "Traceback" not in text and "href" not in text


def test_clear_finished_removes_finished_rows_and_the_context_menu_offers_the_actions(
        qtbot: QtBot, activity: Activity, dock: ActivityDock) -> None:
    assert dock.stack.currentWidget() is dock.placeholder

    async def done(context: JobContext) -> None:
        return None

    async def failing(context: JobContext) -> None:
        raise RuntimeError("no")

    first = activity.submit("Done", done)
    second = activity.submit("Fails", failing)
    qtbot.waitUntil(lambda: first.state.finished and second.state.finished, timeout=WAIT_MS)
    assert dock.stack.currentWidget() is dock.tree and dock.clear_action.isEnabled()

    position = dock.tree.visualItemRect(dock.rows[second.id].item).center()
    dock.tree.customContextMenuRequested.emit(position)
    assert dock.menu is not None
    texts = [action.text() for action in dock.menu.actions() if not action.isSeparator()]
    assert texts == ["Retry", "Clear finished"]  # no link: not a download-page problem; nothing to cancel
    dock.menu.close()

    dock.clear_action.trigger()
    qtbot.waitUntil(lambda: not dock.rows, timeout=WAIT_MS)
    assert dock.tree.topLevelItemCount() == 0 and dock.stack.currentWidget() is dock.placeholder
    assert not dock.clear_action.isEnabled()


def test_jobs_submitted_before_the_dock_exists_are_shown(qtbot: QtBot, activity: Activity, opener: Opener) -> None:
    gate = asyncio.Event()

    async def work(context: JobContext) -> None:
        await gate.wait()

    job = activity.submit("Early", work)
    dock = ActivityDock(activity, opener=opener)
    qtbot.addWidget(dock)
    assert dock.objectName() == "activity" and dock.windowTitle() == "Activity"
    assert dock.rows[job.id].item.text(dock.TASK) == "Early" and dock.summary == "1 running"
    gate.set()
    qtbot.waitUntil(lambda: job.state is JobState.DONE, timeout=WAIT_MS)
    dock.detach()


# -- a real download, stopped half-way


@pytest.fixture
def host(tmp_path: Path) -> Iterator[FileHost]:
    folder = tmp_path / "host"
    folder.mkdir()
    (folder / "Big-1.0.0.7z").write_bytes(bytes(range(256)) * (32 * 1024))  # 8 MiB
    with FileHost(folder) as running:
        running.throttle = 0.02  # ~2.5 s for the whole file: Cancel comes long before the end
        yield running


def test_cancel_stops_a_real_download_half_way_and_keeps_what_arrived(qtbot: QtBot, activity: Activity,
                                                                      dock: ActivityDock, host: FileHost,
                                                                      tmp_path: Path) -> None:
    downloads = tmp_path / "downloads"
    client = create_client(timeout=httpx.Timeout(10.0))
    downloader = Downloader(downloads, client=client)
    seen: list[str] = []

    async def work(context: JobContext) -> None:
        context.set_step("Downloading")
        try:
            await downloader.download(host.url("Big-1.0.0.7z"),
                                      progress=lambda update: context.download_progress("Big 1.0.0", update))
        except asyncio.CancelledError:
            seen.append("cancelled")
            raise

    try:
        job = activity.submit("Install Big", work)
        row = dock.rows[job.id]
        qtbot.waitUntil(lambda: job.received >= 256 * 1024 and row.bar.value() > 0, timeout=WAIT_MS)
        assert row.item.text(dock.SPEED).endswith("/s")
        qtbot.mouseClick(row.button, Qt.MouseButton.LeftButton)
        qtbot.waitUntil(lambda: job.state is JobState.CANCELLED, timeout=WAIT_MS)
        assert seen == ["cancelled"]
        parts = list(downloads.glob("*.part"))
        assert len(parts) == 1 and 0 < parts[0].stat().st_size < 8 * MiB  # kept, to continue on Retry
        size = parts[0].stat().st_size
        qtbot.wait(200)
        assert parts[0].stat().st_size == size  # nothing more arrives: the download really stopped
        assert not list(downloads.glob("*/Big-1.0.0.7z"))

        host.throttle = 0.0
        activity.retry(job.id)
        qtbot.waitUntil(lambda: job.state is JobState.DONE, timeout=WAIT_MS)
        assert job.transfers["Big 1.0.0"].received == 8 * MiB
        assert len(list(downloads.glob("*/Big-1.0.0.7z"))) == 1
        resumed = [request for request in host.requests if request.headers.get("Range")]
        assert resumed, "the retry continued the partial file"
    finally:
        run(qtbot, client.aclose())
