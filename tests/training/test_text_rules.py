"""How a person writes what they read is learned as the project's text rules, apart from
the recognizer: plates written without separators and spaces, in capitals."""

from __future__ import annotations

from pathlib import Path

import pytest

from ocrstudio.core.errors import InputError
from ocrstudio.services.training import with_texts
from ocrstudio.training.text_rules import TextRules, base_style, learn_text_rules

# (label, the base model's reading of that labelled word)
PLATES = [
    ("PJY5472", "PJY·5472"),
    ("OUH9191", "OUH-919I"),
    ("OZR2224", "OZR·2224"),
    ("OLE5095", "OLE 5095"),
    ("OKV8004", "OKV 8004"),
    ("NZO6276", "NZ0·6276"),
    ("PJF5797", "PJF 5797"),
    ("PJH0957", "PJH·0957"),
    ("QQA1234", "QQA1234"),
]


def test_plate_conventions_are_learned_and_applied() -> None:
    rules = learn_text_rules(PLATES)
    assert rules == TextRules(drop_spaces=True, drop="·")
    assert rules.apply("PJY·5472") == "PJY5472" and rules.apply("OLE 5095") == "OLE5095"
    assert rules.describe() == "no spaces, without ·"
    # the recognizer trains on the base's writing where the rules alone give the label,
    # and on the label where the base misread it, with the separator it read put back
    assert base_style("PJY5472", "PJY·5472", rules) == "PJY·5472"
    assert base_style("NZO6276", "NZ0·6276", rules) == "NZO·6276"
    assert base_style("QQA1234", "QQA1234", rules) == "QQA1234"
    assert base_style("PJF5797", "PJF 5T97", rules) == "PJF 5797"


def test_misread_labels_keep_the_separators_the_base_read_where_they_line_up() -> None:
    rules = TextRules(drop_spaces=True, drop="-·", case="upper")
    assert base_style("OUH9191", "OUH-919I", rules) == "OUH-9191"
    assert base_style("ABC1234", "abc 1234", rules) == "abc 1234"  # the rules give it
    # an extra or missing letter beside a separator: where it belongs is not known
    assert base_style("PVX0095", "PVX·C 0095", rules) == "PVX0095"
    assert base_style("PVX0095", "PV 0095", rules) == "PVX0095"
    # never a separator at either end, and every result is the label under the rules
    assert base_style("ABC", "-ABD-", rules) == "ABC"
    for label, read in PLATES:
        assert rules.apply(base_style(label, read, rules)) == label


def test_no_rules_where_the_person_writes_as_the_model_reads() -> None:
    words = [
        ("Harbour", "Harbour"),
        ("Ayer Rajah", "Ayer Rajah"),
        ("$3.50", "$3.50"),
        ("MEN'S", "MEN'S"),
        ("Front", "Fr0nt"),
    ] * 3
    assert learn_text_rules(words) is None
    # one odd reading is no convention
    assert learn_text_rules([*words, ("CC22", "CC·22")]) is None


def test_capitals_are_a_rule_only_where_they_change_readings() -> None:
    words = [("SALE", "Sale"), ("OPEN", "Open"), ("EXIT", "Exit"), ("BANK", "BANK")]
    assert learn_text_rules(words) == TextRules(case="upper")
    assert learn_text_rules([("SALE", "SALE")] * 5) is None


@pytest.mark.parametrize(
    "data",
    [
        {"drop_spaces": True, "drop": "a", "case": ""},
        {"drop_spaces": True, "drop": "", "case": "title"},
        {"drop": "-"},
    ],
)
def test_crafted_rules_are_refused(data: dict) -> None:
    with pytest.raises(InputError, match="text rules cannot be read"):
        TextRules.from_dict(data)


def test_training_texts_replace_only_the_labels_named(tmp_path: Path) -> None:
    from ocrstudio.core.types import PageLabels, Polygon, Region
    from ocrstudio.training.data import LabeledPage

    regions = (
        Region(Polygon.from_box(0, 0, 10, 5), "PJY5472"),
        Region(Polygon.from_box(0, 9, 10, 14), "TOYOTA"),
    )
    page = LabeledPage(tmp_path / "a.jpg", PageLabels("a.jpg", regions), 0)
    (out,) = with_texts([page], {"a.jpg": {"PJY5472": "PJY·5472"}})
    assert [r.text for r in out.labels.regions] == ["PJY·5472", "TOYOTA"]
    assert with_texts([page], {}) == [page]
