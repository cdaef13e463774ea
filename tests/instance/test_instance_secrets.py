"""Secret encryption: AES-GCM bound to its row, key ids and rotation, the local key file."""

from __future__ import annotations

import base64
import logging
import os
import stat

import pytest

from instance_service.domain.secrets import (
    Keyring,
    SecretDecryptionError,
    SecretKeyError,
    variable_aad,
)
from plugboard.settings import Settings


def entry(key_id: str, byte: int) -> str:
    return f"{key_id}:{base64.b64encode(bytes([byte]) * 32).decode()}"


def test_round_trip_and_key_id_in_ciphertext():
    ring = Keyring.parse(entry("k1", 1))
    aad = variable_aad("acme", "i-1", "API_TOKEN")
    blob = ring.encrypt("s3cret-value", aad)
    assert b"s3cret-value" not in blob
    assert Keyring.key_id_of(blob) == "k1"
    assert ring.decrypt(blob, aad) == "s3cret-value"
    assert ring.encrypt("s3cret-value", aad) != blob  # a fresh nonce every time


@pytest.mark.parametrize("other", [
    ("acme", "i-2", "API_TOKEN"),      # moved to another instance
    ("other", "i-1", "API_TOKEN"),     # moved to another project
    ("acme", "i-1", "PASSWORD"),       # moved to another variable
])
def test_a_ciphertext_moved_to_another_row_fails(other):
    ring = Keyring.parse(entry("k1", 1))
    blob = ring.encrypt("value", variable_aad("acme", "i-1", "API_TOKEN"))
    with pytest.raises(SecretDecryptionError):
        ring.decrypt(blob, variable_aad(*other))


def test_associated_data_cannot_be_shifted_between_parts():
    assert variable_aad("a/b", "c", "d") != variable_aad("a", "b/c", "d")
    assert variable_aad("ab", "", "c") != variable_aad("a", "b", "c")


def test_tampered_ciphertext_fails():
    ring = Keyring.parse(entry("k1", 1))
    aad = variable_aad("p", "i", "k")
    blob = bytearray(ring.encrypt("value", aad))
    blob[-1] ^= 1
    with pytest.raises(SecretDecryptionError):
        ring.decrypt(bytes(blob), aad)
    with pytest.raises(SecretDecryptionError):
        ring.decrypt(b"\x02garbage", aad)


def test_rotation_decrypts_with_an_old_key_and_reencrypts_under_the_newest():
    aad = variable_aad("acme", "i-1", "API_TOKEN")
    old_blob = Keyring.parse(entry("k1", 1)).encrypt("value", aad)
    rotated = Keyring.parse(f"{entry('k1', 1)}, {entry('k2', 2)}")
    assert rotated.primary_key_id == "k2"
    assert rotated.decrypt(old_blob, aad) == "value"
    assert rotated.needs_rotation(old_blob)
    new_blob = rotated.reencrypt(old_blob, aad)
    assert Keyring.key_id_of(new_blob) == "k2" and not rotated.needs_rotation(new_blob)
    # Once k1 is dropped, only the re-encrypted value is readable.
    only_new = Keyring.parse(entry("k2", 2))
    assert only_new.decrypt(new_blob, aad) == "value"
    with pytest.raises(SecretDecryptionError, match="not configured"):
        only_new.decrypt(old_blob, aad)


def test_fingerprint_is_short_keyed_and_stable():
    ring = Keyring.parse(entry("k1", 1))
    fp = ring.fingerprint("value")
    assert len(fp) == 8 and int(fp, 16) >= 0
    assert ring.fingerprint("value") == fp != ring.fingerprint("other")
    assert Keyring.parse(entry("k1", 3)).fingerprint("value") != fp  # keyed: not a plain hash


@pytest.mark.parametrize("text, message", [
    ("", "at least one"),
    ("nocolon", "id:base64"),
    ("k1:not-base64!", "base64"),
    (f"k1:{base64.b64encode(b'short').decode()}", "32 bytes"),
    (f"{entry('k1', 1)},{entry('k1', 2)}", "twice"),
    (f"bad id:{base64.b64encode(bytes(32)).decode()}", "must match"),
])
def test_bad_key_settings_refuse_to_start(text, message):
    with pytest.raises(SecretKeyError, match=message):
        Keyring.parse(text)


def test_errors_and_repr_never_show_key_material():
    material = base64.b64encode(bytes([7]) * 32).decode()
    ring = Keyring.parse(f"k1:{material}")
    assert material not in repr(ring)
    with pytest.raises(SecretKeyError) as exc:
        Keyring.parse(f"k1:{material},k1:{material}")
    assert material not in str(exc.value)


def test_local_key_file_is_created_0600_once_and_logged(tmp_path, caplog):
    path = tmp_path / "nested" / "secret.key"
    settings = Settings(data_dir=tmp_path, secret_key_file=path)
    with caplog.at_level(logging.INFO):
        ring = Keyring.from_settings(settings)
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    created = [r.getMessage() for r in caplog.records if "created secret key file" in r.getMessage()]
    assert len(created) == 1 and str(path) in created[0]
    material = path.read_text().strip().splitlines()[-1].split(":", 1)[1]
    assert material not in caplog.text  # the log names the file, never the key
    assert not list(path.parent.glob("*.tmp"))

    aad = variable_aad("p", "i", "k")
    blob = ring.encrypt("value", aad)
    caplog.clear()
    with caplog.at_level(logging.INFO):
        again = Keyring.from_settings(settings)  # second start: the same key, no new file
    assert again.decrypt(blob, aad) == "value"
    assert "created secret key file" not in caplog.text


def test_configured_keys_win_over_the_key_file(tmp_path):
    path = tmp_path / "secret.key"
    ring = Keyring.from_settings(Settings(data_dir=tmp_path, secret_key_file=path, secret_keys=entry("prod-1", 9)))
    assert ring.primary_key_id == "prod-1"
    assert not path.exists()


def test_a_world_readable_key_file_is_warned_about(tmp_path, caplog):
    path = tmp_path / "secret.key"
    path.write_text(entry("k1", 1) + "\n")
    path.chmod(0o644)
    with caplog.at_level(logging.WARNING):
        Keyring.from_file(path)
    assert "readable by others" in caplog.text
