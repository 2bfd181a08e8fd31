"""docs/report.png: the HTML report of WMT21 de-en submissions, in headless Chromium at 1400 px.

    python scripts/report_screenshot.py [--shared ../shared/data] [--out docs/report.png]

Scores six submitted systems (predictions mode, BLEU/chrF/TER) into a temporary folder,
writes the report, opens it at 1400 x 1900 px and saves the view as a palette PNG (< 300 KB).
Needs the shared data, Debian's chromium and chromium-driver, and selenium.
"""
from __future__ import annotations

import argparse
import io
import os
import shutil
import tempfile
from pathlib import Path

from harness.reports.html import write_report
from harness.run import RunOptions, evaluate
from harness.testing import shared_data

SYSTEMS = ["Facebook-AI", "HuaweiTSC", "UEdin", "VolcTrans-AT", "Online-W", "Online-A"]
TASK = ("name: wmt21-de-en\nversion: 1\nfamily: translation\nsource: {{path: {data}}}\n"
        "metrics: [bleu, chrf, ter]\n")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--shared", type=Path, default=shared_data())
    parser.add_argument("--out", type=Path, default=Path(__file__).resolve().parents[1] / "docs" / "report.png")
    args = parser.parse_args()
    data = args.shared / "translation" / "wmt21_newstest2021_de-en"
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        (root / "wmt21-de-en.yaml").write_text(TASK.format(data=data / "test.jsonl"))
        for name in SYSTEMS:  # relative model specs, as a user in the data folder types them
            shutil.copy(data / "systems" / f"{name}.jsonl", root / f"{name}.jsonl")
        os.chdir(root)
        for name in SYSTEMS:
            evaluate(f"predictions:{name}.jsonl", ["wmt21-de-en.yaml"], RunOptions(output=Path("results"), allow_outside_paths=True))
        report = write_report([Path("results")], root / "report.html", title="WMT21 de-en submissions")
        args.out.write_bytes(screenshot(report))
    print(f"{args.out}: {args.out.stat().st_size // 1024} KB")


def screenshot(report: Path) -> bytes:
    from PIL import Image
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service
    options = webdriver.ChromeOptions()
    options.binary_location = shutil.which("chromium") or shutil.which("chromium-browser")
    for flag in ("--headless=new", "--no-sandbox", "--disable-gpu", "--hide-scrollbars", "--window-size=1400,1900"):
        options.add_argument(flag)
    driver = webdriver.Chrome(service=Service(shutil.which("chromedriver")), options=options)
    try:
        driver.get(report.as_uri())
        driver.execute_script("document.getElementById('pick-text').value = 'Regierung';"
                              "document.getElementById('pick-text').dispatchEvent(new Event('input'));")
        png = driver.get_screenshot_as_png()
    finally:
        driver.quit()
    image = Image.open(io.BytesIO(png)).convert("RGB").quantize(colors=64)
    buf = io.BytesIO()
    image.save(buf, "PNG", optimize=True)
    return buf.getvalue()


if __name__ == "__main__":
    main()
