"""Common passwords are refused on sign-up, user creation and password change (ASVS 6.2.4)."""

from __future__ import annotations

import pytest

from imgtree.adapters.memory import FixedClock, MemoryStore, memory_uow_factory
from imgtree.adapters.system import CommonPasswordScreen, Sha256SecretHasher, SystemRandom
from imgtree.domain.errors import InvalidInput
from imgtree.domain.use_cases.accounts import CreateUser, check_new_password
from imgtree.domain.use_cases.sessions import ChangePassword

SCREEN = CommonPasswordScreen()


class PlainHasher:
    """Cheap stand-in for argon2 (the screen is what is under test)."""

    def hash(self, password: str) -> str:
        return Sha256SecretHasher().hash(password)

    def verify(self, password: str, hashed: str) -> bool:
        return Sha256SecretHasher().verify(password, hashed)

    def needs_rehash(self, hashed: str) -> bool:
        return False


@pytest.mark.parametrize(
    "password", ["password", "PASSWORD1", "12345678", "iloveyou", "dragon2024!", " qwerty123 "]
)
def test_common_passwords_and_their_easy_variants_are_refused(password: str) -> None:
    assert SCREEN.weakness(password) is not None


@pytest.mark.parametrize(
    "password", ["correct horse battery", "tq7#Vd-2-lake-mirror", "ẞtraße über alles 42"]
)
def test_uncommon_passwords_pass(password: str) -> None:
    assert SCREEN.weakness(password) is None


def test_the_accounts_own_words_are_refused() -> None:
    context = ("annabelle.smith@example.com", "Annabelle Smith")
    assert SCREEN.weakness("Annabelle-2024", context=context)
    assert SCREEN.weakness("smith!smith!x", context=context)
    assert SCREEN.weakness("an unrelated long one", context=context) is None
    assert SCREEN.weakness("tq7 ann tq7", context=("ann@example.com",)) is None  # too short


def test_creating_and_changing_passwords_go_through_the_screen() -> None:
    store, clock = MemoryStore(), FixedClock()
    uow = memory_uow_factory(store)
    create = CreateUser(uow, PlainHasher(), clock, SystemRandom(), screen=SCREEN)
    with pytest.raises(InvalidInput, match="too common"):
        create("a@example.com", "letmein123")
    user = create("a@example.com", "a long uncommon passphrase")
    change = ChangePassword(uow, PlainHasher(), clock, screen=SCREEN)
    with pytest.raises(InvalidInput, match="too common"):
        change(user.id, "a long uncommon passphrase", "sunshine")
    change(user.id, "a long uncommon passphrase", "another uncommon phrase")
    with pytest.raises(InvalidInput, match="8 to 1024"):
        check_new_password("short", SCREEN)
