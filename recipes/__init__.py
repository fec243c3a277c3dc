"""Recipes for the models shipped in `resources/models/`: the fixed validation rule, the
split data folders and pretrained starting points `ocrstudio train` reads, the scoring on
validation, and the model cards. They live outside the package (as docTR keeps its
`references/` and PARSeq its root scripts) and fine-tune through the public training API
the window and `ocrstudio train --base` use (`training.api.train_model`, with the
settings of `training.finetune`), so the shipped models and a person's fine-tunes are
made the same way.

Holdout rule (fixed, never tuned): an ICDAR 2015 training photo `img_N` is validation when
N % 10 == 0 (100 of 1000); an IIIT5K / SVT training crop `K` is validation when K % 10 == 0;
a FUNSD training page is validation when its position in name order is a multiple of 5
(30 of 149). Everything else is training data. `write_splits` materialises the rule as
folders of symlinks (`icdar2015_train`, `icdar2015_val`, `words_train`, `words_val`,
`funsd_train`, `funsd_val`) so that the plain
`ocrstudio train --data FOLDER` and `ocrstudio eval` commands see exactly these splits.

Run `python -m recipes --help` from the repository's root for the commands.
"""

from __future__ import annotations

from recipes.bases import find_craft, write_craft_base, write_g2_base
from recipes.cards import (
    CARD_FIELDS,
    LICENCES,
    evaluate_recognizer,
    ship,
    ship_and_score,
)
from recipes.detector import (
    detector_maps,
    score_maps,
    train_detector,
    tune_postprocess,
    write_postprocess_at,
)
from recipes.splits import (
    WORD_SETS,
    default_data,
    is_funsd_validation,
    is_validation,
    number_of,
    split_names,
    write_funsd_splits,
    write_icdar_splits,
    write_splits,
    write_word_splits,
)

__all__ = [
    "CARD_FIELDS",
    "LICENCES",
    "WORD_SETS",
    "default_data",
    "detector_maps",
    "evaluate_recognizer",
    "find_craft",
    "is_validation",
    "number_of",
    "score_maps",
    "ship",
    "ship_and_score",
    "split_names",
    "train_detector",
    "tune_postprocess",
    "write_craft_base",
    "write_g2_base",
    "is_funsd_validation",
    "write_funsd_splits",
    "write_icdar_splits",
    "write_postprocess_at",
    "write_splits",
    "write_word_splits",
]
