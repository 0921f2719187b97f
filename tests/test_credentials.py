import keyring
import pytest
from keyring.backends import fail

from treasurer import credentials
from treasurer.errors import UserFacingError
from treasurer.gateway import Gateway


def test_the_key_lives_in_the_keyring_and_the_environment_wins(memory_keyring, monkeypatch):
    assert credentials.api_key() is None
    credentials.store(credentials.SECRET_KEY, "rk_test_fromkeyring123")
    assert memory_keyring.store[("treasurer", "stripe_secret_key")] == "rk_test_fromkeyring123"
    assert credentials.api_key() == "rk_test_fromkeyring123"
    monkeypatch.setenv("STRIPE_API_KEY", "sk_test_fromenv12345")
    assert credentials.api_key() == "sk_test_fromenv12345"
    gw = Gateway.from_environment()
    assert (gw.mode, gw.restricted) == ("test", False)
    credentials.forget(credentials.SECRET_KEY)
    monkeypatch.delenv("STRIPE_API_KEY")
    assert credentials.api_key() is None


def test_a_bad_key_is_not_stored(memory_keyring):
    with pytest.raises(UserFacingError, match="publishable key"):
        credentials.store(credentials.SECRET_KEY, "pk_live_abcdefgh")
    assert memory_keyring.store == {}


def test_no_keyring_is_said_plainly_and_nothing_is_written_elsewhere(tmp_path):
    keyring.set_keyring(fail.Keyring())
    assert not credentials.keyring_available()
    assert credentials.api_key() is None
    with pytest.raises(credentials.NoKeyring, match="STRIPE_API_KEY"):
        credentials.store(credentials.SECRET_KEY, "sk_test_abcdefgh")


def test_several_webhook_secrets_while_rolling_one(monkeypatch):
    monkeypatch.setenv("STRIPE_WEBHOOK_SECRET", "whsec_old, whsec_new")
    assert credentials.webhook_secrets() == ["whsec_old", "whsec_new"]


def test_redact_hides_secrets():
    text = credentials.redact("key " + "sk_" + "live_51Habcdefghijklmnop and whsec_abcdefghijkl")
    assert "abcdefghijklmnop" not in text and "sk_live_" in text
