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
        ("IMGTREE_PROCESS_WORKERS", "0", "between 1 and 64"),
        ("IMGTREE_PROCESS_CPU_SECONDS", "0", "between 1 and 3600"),
        ("IMGTREE_PROCESS_WALL_SECONDS", "soon", "must be an integer"),
        ("IMGTREE_PROCESS_MEMORY_MB", "32", "between 64 and"),
        ("IMGTREE_PROCESS_QUEUE_SECONDS", "0", "between 1 and 600"),
        ("IMGTREE_MAX_IMAGE_SIDE", "8", "between 16 and"),
        ("IMGTREE_MISS_LIMIT", "0", "between 1 and"),
        ("IMGTREE_REPORT_LIMIT_PER_HOUR", "0", "between 1 and"),
        ("IMGTREE_ADDRESS_HASH_KEY", "short", "at least 32 characters"),
        ("IMGTREE_MISS_WINDOW_SECONDS", "5", "between 10 and 86400"),
        ("IMGTREE_SLUG_LENGTH", "7", "between 8 and 32"),
        ("IMGTREE_SLUG_LENGTH", "33", "between 8 and 32"),
    ],
)
def test_bad_values_name_the_variable(name: str, value: str, fragment: str) -> None:
    with pytest.raises(SettingsError) as info:
        Settings.from_env({name: value})
    assert name in str(info.value) and fragment in str(info.value)


def test_processing_budget_settings() -> None:
    s = Settings.from_env(
        {
            "IMGTREE_PROCESS_WORKERS": "3",
            "IMGTREE_PROCESS_CPU_SECONDS": "4",
            "IMGTREE_PROCESS_WALL_SECONDS": "9",
            "IMGTREE_PROCESS_MEMORY_MB": "256",
            "IMGTREE_PROCESS_QUEUE_SECONDS": "2",
            "IMGTREE_MAX_IMAGE_SIDE": "8000",
        }
    )
    assert (s.process_workers, s.process_cpu_seconds, s.process_wall_seconds) == (3, 4, 9)
    assert s.process_memory_bytes == 256 * 1024 * 1024 and s.process_queue_seconds == 2
    assert s.max_image_side == 8000
    assert s.process_socket is None  # only `imgtree serve` sets it, never the environment


def test_enumeration_settings() -> None:
    d = Settings.from_env({})
    assert (d.miss_limit, d.miss_window_seconds, d.slug_length) == (120, 600, 12)
    s = Settings.from_env(
        {
            "IMGTREE_MISS_LIMIT": "500",
            "IMGTREE_MISS_WINDOW_SECONDS": "60",
            "IMGTREE_SLUG_LENGTH": "8",
        }
    )
    assert (s.miss_limit, s.miss_window_seconds, s.slug_length) == (500, 60, 8)
