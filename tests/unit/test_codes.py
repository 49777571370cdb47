import random

import pytest

from bahagia import codes


def test_tracking_codes_use_only_unambiguous_symbols_and_carry_a_valid_check_character():
    rng = random.Random(7)
    for _ in range(2000):
        code = codes.new_tracking_code(rng.randrange)
        assert len(code) == codes.CODE_LENGTH
        assert not set(code) & set("01OIL")
        assert codes.normalize_tracking_code(code) == code


def test_every_single_character_typo_is_caught_by_the_check_character():
    code = codes.new_tracking_code(random.Random(1).randrange)
    for position in range(len(code)):
        for symbol in codes.ALPHABET:
            if symbol != code[position]:
                typo = code[:position] + symbol + code[position + 1 :]
                assert codes.normalize_tracking_code(typo) is None


def test_swapping_two_neighbours_is_caught_in_most_cases():
    rng = random.Random(3)
    caught = total = 0
    for _ in range(300):
        code = codes.new_tracking_code(rng.randrange)
        for i in range(len(code) - 1):
            if code[i] != code[i + 1]:
                total += 1
                swapped = code[:i] + code[i + 1] + code[i] + code[i + 2 :]
                caught += codes.normalize_tracking_code(swapped) is None
    assert caught / total > 0.9


def test_people_may_type_codes_in_lower_case_with_dashes_and_spaces():
    code = codes.new_tracking_code(random.Random(5).randrange)
    typed = " " + codes.format_tracking_code(code).lower().replace("-", " - ") + " "
    assert codes.normalize_tracking_code(typed) == code


@pytest.mark.parametrize("raw", ["", "ABC", "0" * 9, "OOOOOOOOO", "AAAAAAAAAA", "<script>"])
def test_impossible_codes_are_refused(raw):
    assert codes.normalize_tracking_code(raw) is None


def test_codes_are_not_sequential():
    generated = [codes.new_tracking_code() for _ in range(200)]
    assert len(set(generated)) == 200
    assert sorted(generated) != generated


def test_pin_hash_is_salted_and_checks_only_the_right_pin():
    pepper = b"pepper"
    first = codes.hash_pin("123456", b"salt-a", pepper)
    assert first != codes.hash_pin("123456", b"salt-b", pepper)
    assert codes.check_pin("123456", b"salt-a", pepper, first)
    assert not codes.check_pin("123457", b"salt-a", pepper, first)
    assert "123456" not in first


def test_derived_pin_is_stable_for_the_same_key_and_differs_between_keys():
    secret = b"s"
    pin = codes.derived_pin(secret, "pin", "key-aaaaaaaa", "CODE")
    assert pin == codes.derived_pin(secret, "pin", "key-aaaaaaaa", "CODE")
    assert pin != codes.derived_pin(secret, "pin", "key-bbbbbbbb", "CODE")
    assert len(pin) == 6
    assert pin.isdigit()
