import pytest

from hybridroute.privacy import checksums


@pytest.mark.parametrize("number", ["4111111111111111", "4454794511390933", "378282246310005"])
def test_luhn_accepts_valid_cards(number: str) -> None:
    assert checksums.luhn_valid(number)


@pytest.mark.parametrize("number", ["4111111111111112", "1234567812345678", "", "12a4"])
def test_luhn_rejects_look_alikes(number: str) -> None:
    assert not checksums.luhn_valid(number)


def test_iban_mod97_and_length() -> None:
    assert checksums.iban_valid("GB82 WEST 1234 5698 7654 32")
    assert checksums.iban_valid("gb56hxdo88167774656119")
    assert not checksums.iban_valid("GB82 WEST 1234 5698 7654 33")
    assert not checksums.iban_valid("GB82WEST123456987654")  # wrong length for GB
    assert not checksums.iban_valid("ZZ82WEST12345698765432")  # unknown country


@pytest.mark.parametrize(
    ("area", "group", "serial", "valid"),
    [
        ("460", "89", "9847", True),
        ("000", "12", "3456", False),
        ("666", "12", "3456", False),
        ("912", "12", "3456", False),
        ("123", "00", "3456", False),
        ("123", "45", "0000", False),
        ("123", "45", "6789", False),  # the well-known example number
    ],
)
def test_ssn_ranges(area: str, group: str, serial: str, valid: bool) -> None:
    assert checksums.ssn_valid(area, group, serial) is valid


def test_aba_routing_checksum() -> None:
    assert checksums.aba_routing_valid("021000021")
    assert not checksums.aba_routing_valid("021000022")
    assert not checksums.aba_routing_valid("991000021")


def test_ip_validity_and_internal_ranges() -> None:
    assert checksums.ip_valid("8.8.8.8") and not checksums.ip_is_internal("8.8.8.8")
    assert checksums.ip_is_internal("10.0.0.1")
    assert not checksums.ip_valid("300.1.1.1")
