"""Published AUCs on the shipped folds (from data/README.md)."""

from __future__ import annotations

# AKT paper (Ghosh et al., KDD 2020, arXiv 2007.12324) on exactly these folds, as cited in
# data/README.md ("not verified from the paper's own text here"). AKT is AKT-R on
# assist2009_pid (problem ids) and AKT-NR elsewhere.
AKT_PAPER: dict[str, dict[str, float]] = {
    "assist2009_pid": {"dkt": 0.8170, "sakt": 0.7520, "akt": 0.8346},
    "assist2015": {"dkt": 0.7310, "sakt": 0.7212, "akt": 0.7828},
    "statics": {"dkt": 0.8233, "sakt": 0.8029, "akt": 0.8265},
}
# seewoo5/KT README: the same sequences with the DKVMN repository's split (56:14:30, 5 runs).
OTHER_SPLIT: dict[str, dict[str, float]] = {
    "assist2009_pid": {"dkt": 0.8181, "dkvmn": 0.7956, "sakt": 0.8078},
    "assist2015": {"dkt": 0.7294, "dkvmn": 0.7157, "sakt": 0.7149},
    "statics": {"dkt": 0.8287, "dkvmn": 0.8116, "sakt": 0.8030},
}
CITATION = "AKT paper, as cited in data/README.md"
NOTES = (
    "`published` rows: the AKT paper's numbers on these folds as cited in data/README.md "
    "(5-fold means). On the same sequences with another split (seewoo5/KT): "
    + "; ".join(
        f"{ds}: " + ", ".join(f"{m.upper()} {v:.4f}" for m, v in row.items())
        for ds, row in OTHER_SPLIT.items()
    )
    + ". No published number on these folds exists for BKT, IRT, PFA, Best-LR or simpleKT."
)
