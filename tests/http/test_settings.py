from __future__ import annotations

import pytest

from imgtree.entrypoints.settings import Settings, SettingsError


def test_defaults_need_no_environment() -> None:
    s = Settings.from_env({})
    assert s.base_url == "http://127.0.0.1:8000"
    assert s.database_url.startswith("sqlite:///")
    assert s.rate_limit_per_minute == 30


def test_values_are_read_and_trailing_slash_dropped() -> None:
    s = Settings.from_env(
        {
            "IMGTREE_BASE_URL": "https://img.example.com/",
            "IMGTREE_MAX_UPLOAD_BYTES": "1048576",
            "IMGTREE_RATE_LIMIT_PER_MINUTE": "5",
            "IMGTREE_TRUSTED_PROXIES": "10.0.0.0/8, 127.0.0.1",
        }
    )
    assert s.base_url == "https://img.example.com"
    assert s.max_upload_bytes == 1048576 and s.rate_limit_per_minute == 5
    assert len(s.trusted_proxies) == 2 and s.secure_cookies


@pytest.mark.parametrize(
    ("name", "value", "fragment"),
    [
        ("IMGTREE_MAX_UPLOAD_BYTES", "lots", "must be an integer"),
        ("IMGTREE_RATE_LIMIT_PER_MINUTE", "0", "at least 1"),
        ("IMGTREE_BASE_URL", "img.example.com", "http(s) origin"),
        ("IMGTREE_TRUSTED_PROXIES", "not-an-ip", "bad entry"),
        ("IMGTREE_STORAGE", "ftp", "must be one of"),
    ],
)
def test_bad_values_name_the_variable(name: str, value: str, fragment: str) -> None:
    with pytest.raises(SettingsError) as info:
        Settings.from_env({name: value})
    assert name in str(info.value) and fragment in str(info.value)
