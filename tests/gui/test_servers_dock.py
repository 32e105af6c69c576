"""The servers dock against the real emulators over TLS on 127.0.0.1: adding, trusting, live data, admin actions,
a changed certificate, a server going down and coming back, notifications, and removal. No mocks."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Coroutine, Iterator
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtWidgets import QDialogButtonBox, QInputDialog, QMessageBox, QWidget
from pytestqt.qtbot import QtBot

from app.core.cert_pins import address_of, format_fingerprint
from app.core.data_dir import DataDir
from app.net.tls import describe_certificate
from app.sandbox.certificates import SelfSignedCertificate, make_self_signed
from app.sandbox.dedicated import DedicatedServerEmulator
from app.sandbox.demo_servers import write_local_fika_config
from app.sandbox.fika import FikaEmulator
from app.sandbox.sample_install import create_sample_install
from app.services.servers import MemorySecrets, ServersService
from app.services.workspace import Workspace
from app.ui.main_window import MainWindow
from app.ui.notifications import CollectingNotifier
from app.ui.server_dialogs import CertificatePrompt, RawProfileViewer, SendItemDialog, ServerDialog
from app.ui.server_panels import DedicatedPanel, FikaPanel
from app.ui.servers_dock import ServersDock

WAIT_MS = 5000
FIKA_KEY = "gui-test-fika-key"
TOKEN = "gui-test-token"


# -- fixtures and helpers

@pytest.fixture
def fika() -> Iterator[FikaEmulator]:
    with FikaEmulator(api_key=FIKA_KEY, seed=3) as emulator:
        yield emulator


@pytest.fixture
def service(data_dir: DataDir) -> ServersService:
    return ServersService(data_dir, secrets=MemorySecrets())


@pytest.fixture
def notifier() -> CollectingNotifier:
    return CollectingNotifier()


@pytest.fixture
def make_dock(qtbot: QtBot, event_loop: asyncio.AbstractEventLoop, service: ServersService,
              notifier: CollectingNotifier) -> Iterator[Callable[[], ServersDock]]:
    """Docks over the servers configured so far, polling fast. Closed here rather than by qtbot, which would delete
    them before this teardown could stop their polls."""
    docks: list[ServersDock] = []

    def make() -> ServersDock:
        dock = ServersDock(service, notifier=notifier, interval=0.15, max_interval=0.3)
        dock.show()
        dock.start()
        docks.append(dock)
        return dock

    yield make
    for dock in docks:
        run(qtbot, dock.aclose())
        dock.close()
        dock.deleteLater()


def run(qtbot: QtBot, work: Coroutine[Any, Any, Any]) -> Any:
    task = asyncio.ensure_future(work)
    qtbot.waitUntil(task.done, timeout=WAIT_MS)
    return task.result()


def add_trusted(service: ServersService, name: str, kind: str, url: str, secret: str,
                certificate: SelfSignedCertificate, *, notify: bool = False) -> None:
    """A server whose certificate the user trusted earlier."""
    service.add(name, kind, url, secret=secret, notify=notify)
    service.pins.pin(address_of(url), certificate.der)


def fika_panel(dock: ServersDock, name: str) -> FikaPanel:
    panel = dock.panels[name]
    assert isinstance(panel, FikaPanel)
    return panel


def wait_for_data(qtbot: QtBot, panel: FikaPanel) -> None:
    qtbot.waitUntil(lambda: panel.status is not None and panel.players_model.rowCount() > 0, timeout=WAIT_MS)


def press(box: QWidget, text: str) -> None:
    """Press the button of a message box by its words, as the user would."""
    assert isinstance(box, QMessageBox)
    buttons = [button for button in box.buttons() if button.text().replace("&", "") == text]
    assert buttons, f"no {text!r} button in {[b.text() for b in box.buttons()]}"
    buttons[0].click()


def last_dialog(panel: Any, kind: type) -> Any:
    dialog = panel.dialogs[-1]
    assert isinstance(dialog, kind), f"expected a {kind.__name__}, got {type(dialog).__name__}"
    return dialog


def select_row(table: Any, row: int) -> None:
    table.selectRow(row)


def row_of(model: Any, column: int, text: str) -> int:
    return model.column_texts(column).index(text)


def nicknames_online(fika: FikaEmulator) -> list[str]:
    return sorted(fika.nickname(profile_id) for profile_id in fika.online_ids())


def advance_until_someone_comes_online(fika: FikaEmulator) -> str:
    """Let the server's evening go on until a player who was offline comes online; their profile id."""
    before = set(fika.online_ids())
    for _ in range(200):
        fika.advance(20)
        arrived = set(fika.online_ids()) - before
        if arrived:
            return arrived.pop()
    raise AssertionError("nobody came online in a simulated hour")


# -- tests

def test_a_fika_server_added_in_the_dialog_is_trusted_then_shows_live_data(
        qtbot: QtBot, make_dock: Callable[[], ServersDock], fika: FikaEmulator, service: ServersService) -> None:
    dock = make_dock()
    assert dock.stack.currentWidget() is dock.placeholder
    dialog = dock.ask_add()
    dialog.name_edit.setText("Friday squad")
    dialog.kind_combo.setCurrentIndex(dialog.kind_combo.findData("fika"))
    dialog.url_edit.setText(fika.base_url.removeprefix("https://"))  # as people type it
    dialog.secret_edit.setText(FIKA_KEY)
    assert dialog.secret_edit.echoMode() == dialog.secret_edit.EchoMode.Password
    dialog.buttons.button(QDialogButtonBox.StandardButton.Save).click()
    assert service.get("Friday squad").url == fika.base_url and service.has_secret("Friday squad")

    # First contact: the prompt shows the fingerprint; nothing is shown (or sent) before the user trusts it.
    qtbot.waitUntil(lambda: isinstance(dock.dialog, CertificatePrompt), timeout=WAIT_MS)
    prompt = dock.dialog
    assert isinstance(prompt, CertificatePrompt) and not prompt.changed
    assert format_fingerprint(fika.certificate.sha256) in prompt.details.toPlainText()
    assert "Trust this certificate" in prompt.trust_button.text() and prompt.reject_button.text() == "Don't connect"
    panel = fika_panel(dock, "Friday squad")
    assert panel.banner.isVisible() and panel.players_model.rowCount() == 0
    assert not fika.requests
    prompt.trust_button.click()

    wait_for_data(qtbot, panel)
    assert service.pin_of("Friday squad").sha256 == fika.certificate.sha256
    assert not panel.banner.isVisible()
    assert sorted(panel.players_model.column_texts(0)) == nicknames_online(fika)
    statuses = set(panel.raids_model.column_texts(1))
    assert panel.raids_model.rowCount() >= 1 and statuses <= {"LOADING", "IN_GAME", "COMPLETE"}
    assert panel.raids_model.columns[-1] == "Age" and panel.heartbeat_label.text().startswith("Heartbeat")
    qtbot.waitUntil(lambda: panel.status_label.text().startswith("updated"), timeout=WAIT_MS)
    assert panel.status_label.text().endswith("s ago")

    before = sorted(panel.players_model.column_texts(0)), panel.raids_model.column_texts(0)
    fika.advance(1500)  # a long evening on the server: people come and go, raids end
    dock.watchers["Friday squad"].poll_now()
    qtbot.waitUntil(lambda: sorted(panel.players_model.column_texts(0)) == nicknames_online(fika), timeout=WAIT_MS)
    after = sorted(panel.players_model.column_texts(0)), panel.raids_model.column_texts(0)
    assert after != before


def test_admin_actions_are_confirmed_first_then_reach_the_server(
        qtbot: QtBot, make_dock: Callable[[], ServersDock], fika: FikaEmulator, service: ServersService) -> None:
    add_trusted(service, "Squad", "fika", fika.base_url, FIKA_KEY, fika.certificate)
    panel = fika_panel(make_dock(), "Squad")
    wait_for_data(qtbot, panel)
    player = panel.players_model.payload(0)
    select_row(panel.players_table, 0)

    # A message: typed, confirmed, sent.
    panel.message_action.trigger()
    ask = last_dialog(panel, QInputDialog)
    ask.setTextValue("Raid at eight, bring a Kappa")
    ask.accept()
    box = last_dialog(panel, QMessageBox)
    assert player.nickname in box.text() and not fika.messages  # nothing sent before the confirmation
    press(box, "Send")
    qtbot.waitUntil(lambda: bool(fika.messages), timeout=WAIT_MS)
    assert fika.messages == [{"profileId": player.profile_id, "message": "Raid at eight, bring a Kappa"}]
    qtbot.waitUntil(lambda: "Message sent to" in panel.result_label.text(), timeout=WAIT_MS)

    # A flea ban for ever (0 days), then lifted.
    panel.ban_action.trigger()
    ask = last_dialog(panel, QInputDialog)
    ask.setIntValue(0)
    ask.accept()
    box = last_dialog(panel, QMessageBox)
    assert "for ever" in box.text()
    press(box, "Ban")
    qtbot.waitUntil(lambda: fika.flea_bans.get(player.profile_id) == 0, timeout=WAIT_MS)
    qtbot.waitUntil(lambda: "banned from the flea market for ever" in panel.result_label.text(), timeout=WAIT_MS)
    panel.unban_action.trigger()
    press(last_dialog(panel, QMessageBox), "Lift the ban")
    qtbot.waitUntil(lambda: player.profile_id not in fika.flea_bans, timeout=WAIT_MS)

    # Restarting a headless client: cancelled first (nothing happens), then confirmed.
    panel.tabs.setCurrentIndex(2)
    ready = row_of(panel.headless_model, 1, "Ready")  # the server refuses to restart one that is not up
    select_row(panel.headless_table, ready)
    client = panel.headless_model.payload(ready)
    panel.restart_action.trigger()
    press(last_dialog(panel, QMessageBox), "Cancel")
    panel.restart_action.trigger()
    press(last_dialog(panel, QMessageBox), "Restart")
    qtbot.waitUntil(lambda: fika.restarts == [client.profile_id], timeout=WAIT_MS)
    qtbot.waitUntil(lambda: "is restarting" in panel.result_label.text(), timeout=WAIT_MS)


def test_send_item_with_the_picker_log_out_and_raw_profile(
        qtbot: QtBot, make_dock: Callable[[], ServersDock], fika: FikaEmulator, service: ServersService) -> None:
    add_trusted(service, "Squad", "fika", fika.base_url, FIKA_KEY, fika.certificate)
    panel = fika_panel(make_dock(), "Squad")
    wait_for_data(qtbot, panel)
    select_row(panel.players_table, 0)
    player = panel.players_model.payload(0)

    panel.send_item_action.trigger()
    dialog = last_dialog(panel, SendItemDialog)
    assert not dialog.ok_button.isEnabled()
    for text in ("l", "le", "led", "ledx"):  # typed quickly: one search once typing pauses
        dialog.picker.query_edit.setText(text)
    qtbot.waitUntil(lambda: dialog.picker.results.count() == 1, timeout=WAIT_MS)
    assert dialog.picker.searches == 1
    dialog.picker.results.setCurrentRow(0)
    dialog.amount.setValue(2)
    dialog.fir.setChecked(True)
    dialog.message.setText("for the hideout")
    dialog.ok_button.click()
    box = last_dialog(panel, QMessageBox)
    assert "2 × LEDX Skin Transilluminator (found in raid)" in box.text()  # noqa: RUF001
    press(box, "Send")
    qtbot.waitUntil(lambda: bool(fika.sent_items), timeout=WAIT_MS)
    sent = fika.sent_items[0]
    assert (sent["profileId"], sent["itemTpl"], sent["amount"], sent["fir"], sent["message"]) == (
        player.profile_id, "5c0530ee86f774697952d952", 2, True, "for the hideout")

    panel.send_all_action.trigger()  # to every account: the confirmation names how many, read from the server
    dialog = last_dialog(panel, SendItemDialog)
    dialog.picker.query_edit.setText("bitcoin")
    qtbot.waitUntil(lambda: dialog.picker.results.count() == 1, timeout=WAIT_MS)
    dialog.picker.results.setCurrentRow(0)
    dialog.ok_button.click()
    qtbot.waitUntil(lambda: isinstance(panel.dialogs[-1], QMessageBox), timeout=WAIT_MS)
    accounts = len(fika.document("profiles"))
    assert f"to all {accounts} accounts" in panel.dialogs[-1].text()
    press(panel.dialogs[-1], "Send to all")
    qtbot.waitUntil(lambda: len(fika.sent_items) == 2, timeout=WAIT_MS)
    assert len(fika.sent_items[1]["profileIds"]) == accounts and fika.sent_items[1]["amount"] == 1

    panel.logout_action.trigger()
    press(last_dialog(panel, QMessageBox), "Log out")
    qtbot.waitUntil(lambda: fika.logouts == [player.profile_id], timeout=WAIT_MS)

    panel.view_profile(player)
    qtbot.waitUntil(lambda: isinstance(panel.dialogs[-1], RawProfileViewer), timeout=WAIT_MS)
    viewer = panel.dialogs[-1]
    assert player.nickname in viewer.editor.toPlainText()
    viewer.search_edit.setText(player.nickname)
    assert viewer.matches_label.text().endswith("matches") and viewer.editor.extraSelections()
    assert viewer.find_next() and viewer.editor.textCursor().selectedText().casefold() == player.nickname.casefold()


def test_an_action_that_fails_is_reported_in_words(
        qtbot: QtBot, make_dock: Callable[[], ServersDock], fika: FikaEmulator, service: ServersService) -> None:
    add_trusted(service, "Squad", "fika", fika.base_url, FIKA_KEY, fika.certificate)
    panel = fika_panel(make_dock(), "Squad")
    wait_for_data(qtbot, panel)
    player = panel.players_model.payload(0)
    run(qtbot, panel.send_message(player, "x" * 300))  # longer than Fika allows: refused before sending
    text = panel.result_label.text()
    assert "Could not send the message" in text and "at most 255" in text and "Traceback" not in text
    assert not fika.messages


def test_wrong_key_and_missing_mod_are_explained_in_the_panel(
        qtbot: QtBot, make_dock: Callable[[], ServersDock], fika: FikaEmulator, service: ServersService) -> None:
    add_trusted(service, "Wrong key", "fika", fika.base_url, "not-the-key", fika.certificate)
    panel = fika_panel(make_dock(), "Wrong key")
    qtbot.waitUntil(lambda: panel.error_label.isVisible(), timeout=WAIT_MS)
    assert "API key" in panel.error_label.text() and "wrong" in panel.error_label.text()
    assert panel.players_model.rowCount() == 0 and panel.status_label.text().endswith("but refused what was asked")

    with FikaEmulator(api_key=FIKA_KEY, fika_installed=False) as bare:
        add_trusted(service, "Plain SPT", "fika", bare.base_url, FIKA_KEY, bare.certificate)
        panel = fika_panel(make_dock(), "Plain SPT")
        qtbot.waitUntil(lambda: "Fika server mod is not installed" in panel.error_label.text(), timeout=WAIT_MS)


def test_a_changed_certificate_blocks_with_a_warning_and_shows_no_data(
        qtbot: QtBot, make_dock: Callable[[], ServersDock], fika: FikaEmulator, service: ServersService) -> None:
    add_trusted(service, "Squad", "fika", fika.base_url, FIKA_KEY, fika.certificate)
    dock = make_dock()
    panel = fika_panel(dock, "Squad")
    wait_for_data(qtbot, panel)
    old = fika.certificate
    impostor = make_self_signed("Fika emulator")
    fika.stop()  # a restart with a new certificate (kept-alive connections would still use the old one)
    fika.replace_certificate(impostor)
    seen = len(fika.requests)
    fika.start()

    qtbot.waitUntil(lambda: panel.banner.isVisible(), timeout=WAIT_MS)
    text = panel.banner_label.text().replace("<br>", "")  # long fingerprints are wrapped
    assert "CHANGED" in text and format_fingerprint(old.sha256) in text and format_fingerprint(impostor.sha256) in text
    assert panel.players_model.rowCount() == 0 and panel.raids_model.rowCount() == 0 and not panel.body.isVisible()
    assert panel.status_label.text() == "not connected: its certificate changed"
    assert len(fika.requests) == seen  # nothing (no key, no request) went to the server showing the new certificate
    assert service.pin_of("Squad").sha256 == old.sha256

    panel.trust_button.click()  # a changed certificate is only trusted after the full warning
    prompt = dock.dialog
    assert isinstance(prompt, CertificatePrompt) and prompt.changed
    assert "CHANGED" in prompt.heading.text() and "pretending" in prompt.explanation.text()
    assert prompt.reject_button.isDefault()
    prompt.reject_button.click()
    qtbot.waitUntil(lambda: "Squad" not in dock.watchers and panel.stopped.isVisible(), timeout=WAIT_MS)
    assert "did not trust the new one" in panel.stopped_label.text()
    assert service.pin_of("Squad").sha256 == old.sha256

    panel.reconnect_button.click()  # still the impostor's certificate: the banner comes back; trusting it connects
    qtbot.waitUntil(lambda: panel.banner.isVisible(), timeout=WAIT_MS)
    panel.trust_button.click()
    prompt = dock.dialog
    assert isinstance(prompt, CertificatePrompt)
    prompt.trust_button.click()
    wait_for_data(qtbot, panel)
    assert service.pin_of("Squad").sha256 == impostor.sha256


def test_a_server_that_goes_down_says_since_when_and_comes_back(
        qtbot: QtBot, make_dock: Callable[[], ServersDock], fika: FikaEmulator, service: ServersService) -> None:
    add_trusted(service, "Squad", "fika", fika.base_url, FIKA_KEY, fika.certificate)
    dock = make_dock()
    panel = fika_panel(dock, "Squad")
    wait_for_data(qtbot, panel)
    fika.stop()
    qtbot.waitUntil(lambda: panel.status_label.text().startswith("unreachable since"), timeout=WAIT_MS)
    assert panel.status_label.text().endswith("(connection refused)")
    assert "cannot be reached" in panel.error_label.text()
    assert not panel.body.isEnabled() and panel.players_model.rowCount() > 0  # the last data, greyed

    fika.start()
    dock.watchers["Squad"].poll_now()
    qtbot.waitUntil(lambda: panel.status_label.text().startswith("updated"), timeout=WAIT_MS)
    assert panel.body.isEnabled() and not panel.error_label.isVisible()


def test_a_dedicated_server_panel_shows_its_state_and_runs_commands(
        qtbot: QtBot, make_dock: Callable[[], ServersDock], service: ServersService) -> None:
    with DedicatedServerEmulator(token=TOKEN, seed=2) as server:
        add_trusted(service, "Factory", "dedicated", server.base_url, TOKEN, server.certificate)
        panel = make_dock().panels["Factory"]
        assert isinstance(panel, DedicatedPanel)
        qtbot.waitUntil(lambda: panel.status is not None and panel.options_model.rowCount() > 0, timeout=WAIT_MS)
        state = panel.status.state
        assert state is not None
        assert panel.values["Players"].text() == f"{state.players} / {state.player_limit}"
        assert panel.values["Health"].text().startswith(("healthy", "slow")) and "ticks/s" in panel.values[
            "Health"].text()
        assert panel.values["Duration"].text().count(":") == 2 and panel.values["Paused"].text() in ("yes", "no")

        panel.command_edit.setText("help")
        panel.run_button.click()
        press(last_dialog(panel, QMessageBox), "Run")
        qtbot.waitUntil(lambda: "> help" in panel.output.toPlainText(), timeout=WAIT_MS)
        assert "help" in server.commands and "help -" in panel.output.toPlainText()

        panel.save_button.click()
        ask = last_dialog(panel, QInputDialog)
        ask.setTextValue("before-the-boss")
        ask.accept()
        press(last_dialog(panel, QMessageBox), "Save")
        qtbot.waitUntil(lambda: bool(server.saves), timeout=WAIT_MS)
        qtbot.waitUntil(lambda: "was saved" in panel.result_label.text(), timeout=WAIT_MS)

        panel.shutdown_button.click()
        box = last_dialog(panel, QMessageBox)
        assert box.defaultButton().text() == "Cancel"  # Enter must not shut a server down
        press(box, "Shut down")
        qtbot.waitUntil(lambda: server.shutdowns == 1, timeout=WAIT_MS)


def test_notifications_only_for_servers_that_want_them(
        qtbot: QtBot, make_dock: Callable[[], ServersDock], fika: FikaEmulator, service: ServersService,
        notifier: CollectingNotifier) -> None:
    add_trusted(service, "Loud", "fika", fika.base_url, FIKA_KEY, fika.certificate, notify=True)
    add_trusted(service, "Quiet", "fika", fika.base_url, FIKA_KEY, fika.certificate, notify=False)
    dock = make_dock()
    for name in ("Loud", "Quiet"):
        wait_for_data(qtbot, fika_panel(dock, name))
    nickname = fika.nickname(advance_until_someone_comes_online(fika))
    for watcher in dock.watchers.values():
        watcher.poll_now()
    qtbot.waitUntil(lambda: ("Loud", f"{nickname} came online.") in notifier.messages, timeout=WAIT_MS)
    qtbot.waitUntil(lambda: nickname in fika_panel(dock, "Quiet").players_model.column_texts(0), timeout=WAIT_MS)
    assert all(title == "Loud" for title, _ in notifier.messages)


def test_editing_renames_and_removing_drops_the_panel(
        qtbot: QtBot, make_dock: Callable[[], ServersDock], fika: FikaEmulator, service: ServersService) -> None:
    add_trusted(service, "Squad", "fika", fika.base_url, FIKA_KEY, fika.certificate)
    dock = make_dock()
    wait_for_data(qtbot, fika_panel(dock, "Squad"))

    dialog = dock.ask_edit()
    assert isinstance(dialog, ServerDialog) and not dialog.kind_combo.isEnabled()
    dialog.name_edit.setText("Evening squad")
    dialog.notify_check.setChecked(True)
    dialog.buttons.button(QDialogButtonBox.StandardButton.Save).click()
    assert list(dock.panels) == ["Evening squad"] and dock.tabs.tabText(0) == "Evening squad"
    assert service.get("Evening squad").notify and service.has_secret("Evening squad")
    wait_for_data(qtbot, fika_panel(dock, "Evening squad"))

    bad = dock.ask_add()  # a refused form keeps the dialog open with the reason
    bad.name_edit.setText("Evening squad")
    bad.url_edit.setText("http://example.invalid:6969")
    bad.buttons.button(QDialogButtonBox.StandardButton.Save).click()
    assert bad.isVisible() and bad.error_label.text()
    bad.reject()

    dock.ask_remove()
    box = dock.dialog
    assert isinstance(box, QMessageBox) and "Evening squad" in box.text()
    press(box, "Remove")
    assert not dock.panels and dock.tabs.count() == 0 and not dock.watchers
    assert dock.stack.currentWidget() is dock.placeholder and service.list() == []
    assert not dock.edit_action.isEnabled()


def test_main_window_docks_the_servers_and_adds_the_local_fika_server_in_one_click(
        qtbot: QtBot, event_loop: asyncio.AbstractEventLoop, data_dir: DataDir, tmp_path: Path,
        fika: FikaEmulator, service: ServersService) -> None:
    root = create_sample_install(tmp_path / "SPT-4.0", "4.0")
    write_local_fika_config(root / "SPT", fika.port, FIKA_KEY, fika.certificate)
    window = MainWindow(Workspace(data_dir), root, servers=service, local_spt_root=root,
                        notifier=CollectingNotifier(), server_poll_interval=0.15, check_with_forge=False)
    qtbot.addWidget(window)
    window.show()
    dock = window.servers_dock
    assert dock is not None
    qtbot.waitUntil(lambda: dock.started, timeout=WAIT_MS)
    assert window.dockWidgetArea(dock).name == "RightDockWidgetArea"
    toggle = dock.toggleViewAction()
    assert toggle in window.view_menu.actions()
    toggle.trigger()
    assert not dock.isVisible()
    toggle.trigger()
    assert dock.isVisible()

    dock.add_local_action.trigger()
    qtbot.waitUntil(lambda: "Local Fika" in dock.panels, timeout=WAIT_MS)
    panel = fika_panel(dock, "Local Fika")
    wait_for_data(qtbot, panel)  # no certificate prompt: the install's own certificate was pinned
    assert service.pin_of("Local Fika").source == "spt-install"
    assert not isinstance(dock.dialog, CertificatePrompt)

    window.close()
    run(qtbot, window.servers_closed())
    assert not dock.watchers
    assert describe_certificate(fika.certificate.der).sha256 == fika.certificate.sha256
