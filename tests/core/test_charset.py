"""Charset: the default alphabet, Unicode, metadata round trip, growth and label filtering."""

from __future__ import annotations

import string
from collections import Counter

import pytest

from ocrstudio.core.charset import Charset, describe_unknown


def test_default_is_printable_ascii_plus_space() -> None:
    cs = Charset.default()
    assert len(cs) == 95
    assert set(cs) == set(string.printable) - set("\t\n\r\x0b\x0c")
    assert " " in cs and "~" in cs and "\n" not in cs


def test_duplicates_empty_and_control_characters_are_refused() -> None:
    with pytest.raises(ValueError, match="twice"):
        Charset("abca")
    with pytest.raises(ValueError):
        Charset("")
    with pytest.raises(ValueError, match="control"):
        Charset("ab\n")


def test_unicode_and_meta_round_trip_keep_order() -> None:
    cs = Charset("zéüßあ中文한€a")
    back = Charset.from_card(cs.to_card())
    assert back == cs and back.chars == "zéüßあ中文한€a"
    assert [back.index(ch) for ch in "中a"] == [5, 9]
    assert Charset.from_card("xy") == Charset("xy")
    with pytest.raises(ValueError):
        Charset.from_card({"letters": "ab"})
    with pytest.raises(KeyError, match="U\\+0071"):
        cs.index("q")


def test_extended_appends_only_new_characters_in_first_seen_order() -> None:
    cs = Charset("abc")
    grown = cs.extended(["cad", "éd", "中"])
    assert grown.chars == "abcdé中"
    assert grown.chars.startswith(cs.chars)
    assert cs.extended(["abc", ""]) is cs


def test_filter_report_strips_and_counts_out_of_charset_characters() -> None:
    cs = Charset.default()
    kept, dropped = cs.filter_report(["café", "ok", "中文中", "naïve"])
    assert kept == ["caf", "ok", "", "nave"]  # aligned with the inputs, one per text
    assert dropped == Counter({"中": 2, "文": 1, "é": 1, "ï": 1})
    line = describe_unknown(dropped)
    assert "5 characters" in line and "'中' x2" in line
    assert describe_unknown(Counter()) == "all characters are in the charset"


def test_from_texts_collects_sorted_unique_characters() -> None:
    assert Charset.from_texts(["bca", "ab", "中"]).chars == "abc中"
