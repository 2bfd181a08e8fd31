"""Write a tiny random-initialized checkpoint of a learned metric's real architecture.

    python -m harness.testing.tiny comet FOLDER       # COMET's hparams.yaml + checkpoints/model.ckpt
    python -m harness.testing.tiny comet-qe FOLDER    # the reference-free COMET regression model
    python -m harness.testing.tiny cometkiwi FOLDER   # CometKiwi's shape (COMET's unified model)
    python -m harness.testing.tiny xcomet FOLDER      # xCOMET's: XL encoder, error-span head
    python -m harness.testing.tiny metricx FOLDER     # MetricX-24's mT5, a transformers folder

The reference packages load the same folder (``comet.load_from_checkpoint``), so a user can
check an installation, and the tests compare the harness with them, on it. Scores of a random
network mean nothing.
"""
from __future__ import annotations

import argparse
import sys

from harness.testing import tiny_metric_models

BUILDERS = {
    "comet": lambda folder: tiny_metric_models.build_comet(folder),
    "comet-qe": lambda folder: tiny_metric_models.build_comet(folder, kind="qe"),
    "cometkiwi": lambda folder: tiny_metric_models.build_comet(folder, kind="kiwi"),
    "cometkiwi-xl": lambda folder: tiny_metric_models.build_comet(folder, kind="kiwi-xl"),
    "xcomet": lambda folder: tiny_metric_models.build_comet(folder, kind="xcomet"),
    "metricx": lambda folder: tiny_metric_models.build_metricx(folder),
}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m harness.testing.tiny", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("name", choices=sorted(BUILDERS))
    parser.add_argument("folder")
    args = parser.parse_args(argv)
    print(BUILDERS[args.name](args.folder))
    return 0


if __name__ == "__main__":
    sys.exit(main())
