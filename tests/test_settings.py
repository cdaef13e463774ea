"""Settings read from PLUGBOARD_* variables: the event loop and the shutdown notice."""

from __future__ import annotations

import pytest

from plugboard.settings import Settings, SettingsError


def test_event_loop_and_shutdown_notice_are_read_from_the_environment():
    default = Settings.from_env({})
    assert (default.event_loop, default.shutdown_notice_seconds) == ("uvloop", 0.0)
    chosen = Settings.from_env({"PLUGBOARD_EVENT_LOOP": "asyncio", "PLUGBOARD_SHUTDOWN_NOTICE_SECONDS": "2"})
    assert (chosen.event_loop, chosen.shutdown_notice_seconds) == ("asyncio", 2.0)


def test_an_unknown_event_loop_is_refused_naming_the_variable():
    with pytest.raises(SettingsError, match="PLUGBOARD_EVENT_LOOP"):
        Settings.from_env({"PLUGBOARD_EVENT_LOOP": "trio"})
