"""The window says plainly when dual control is not in force, and when the books are open to other users."""

from __future__ import annotations

import os

import pytest

from helpers import PAT_PIN, SAM_PIN
from treasurer.officers import add_officer, deactivate_officer


def test_the_banner_shows_while_dual_control_is_not_in_force(hall, make_window):
    add_officer(hall, "Pat Morales", "treasurer", PAT_PIN)
    window = make_window(hall)
    banner = window.trust_banner
    assert not banner.isHidden()
    assert banner.text().startswith("Dual control is not in force: the hall has only one active officer")

    add_officer(hall, "Sam Okafor", "president", SAM_PIN, vouchers=[("Pat Morales", PAT_PIN)])
    window.refresh()
    assert banner.isHidden() and banner.text() == ""

    deactivate_officer(hall, "Sam Okafor", "Pat Morales", PAT_PIN)   # back to one: the banner returns
    window.refresh()
    assert not banner.isHidden() and "only one active officer" in banner.text()


@pytest.mark.skipif(os.name != "posix", reason="POSIX permissions")
def test_the_banner_warns_of_a_data_folder_open_to_others(hall, make_window):
    add_officer(hall, "Pat Morales", "treasurer", PAT_PIN)
    add_officer(hall, "Sam Okafor", "president", SAM_PIN, vouchers=[("Pat Morales", PAT_PIN)])
    os.chmod(hall.data_path, 0o755)
    window = make_window(hall)
    text = window.trust_banner.text()
    assert not window.trust_banner.isHidden()
    assert text.startswith("Other users of this computer can read or change the hall's data folder")
    assert f"chmod -R go= {hall.data_path}" in text
    os.chmod(hall.data_path, 0o700)
    window.refresh()
    assert window.trust_banner.isHidden()
