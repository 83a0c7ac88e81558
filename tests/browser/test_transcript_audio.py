"""A transcript's recording in a real browser (issue 17.7): attach the interview's audio to a Zoom .vtt transcript,
press "▶ Play" on a turn and hear it from that turn's start time; then remove it again (the demo stays as it was)."""

from __future__ import annotations

import io
import re
import wave

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import sign_in

pytestmark = pytest.mark.browser

DOCUMENT = "spr_focus_group"  # a .vtt transcript outside the demo's blind sample
SECONDS = 120


def _silence(path) -> None:
    """A real PCM WAV of two minutes of silence (8 kHz, 8-bit mono), which Chromium plays."""
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(1)
        out.setframerate(8000)
        out.writeframes(b"\x80" * 8000 * SECONDS)
    path.write_bytes(buffer.getvalue())


def test_play_a_turn_from_its_start(page, screenshot, tmp_path):
    audio_file = tmp_path / "focus_group.wav"
    _silence(audio_file)
    sign_in(page, "analyst@mio.example")
    page.goto("/qualitative/")
    page.get_by_role("link", name="MIO implementation interviews 2026").first.click()
    href = page.get_by_role("link", name=DOCUMENT, exact=True).get_attribute("href")
    page.goto(href)
    page.get_by_text("Attach the interview's recording").click()
    page.get_by_label("Audio file (MP3, M4A, WAV, Ogg or WebM)").set_input_files(str(audio_file))
    page.get_by_role("button", name="Attach", exact=True).click()
    page.wait_for_load_state()
    expect(page.locator("#ws-audio")).to_be_visible()
    buttons = page.locator("button.play-from")
    starts = [int(b.get_attribute("data-play-ms")) for b in buttons.all()]
    assert starts and starts == sorted(starts)
    index = next(i for i, ms in enumerate(starts) if 5000 <= ms <= (SECONDS - 10) * 1000)
    start = starts[index] / 1000
    buttons.nth(index).click()
    page.wait_for_function(f"() => document.getElementById('ws-audio').currentTime >= {start - 0.05}")
    assert abs(page.evaluate("document.getElementById('ws-audio').currentTime") - start) < 2.0
    screenshot(page, "transcript-audio-01-playing")
    page.get_by_role("button", name="Remove the recording").click()
    page.wait_for_load_state()
    expect(page.locator("#ws-audio")).to_have_count(0)
    assert re.search(r"/qualitative/documents/\d+", page.url)
