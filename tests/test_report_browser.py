"""The HTML report in a real headless Chromium: loads cleanly, sorts, filters, runs no data.

Needs Debian's ``chromium`` and ``chromium-driver`` (``.ci/run`` installs them) and the
``selenium`` package; without them the tests are skipped with the reason.
"""
from __future__ import annotations

import json
import shutil

import pytest

from conftest import write_jsonl
from harness.run import RunOptions, evaluate
from harness.reports.html import write_report

XSS = "<script>alert(1)</script> <img src=x onerror=alert(1)>"
REFS = [{"id": f"s{i}", "source": s, "references": [r]} for i, (s, r) in enumerate([
    ("Das Haus ist klein.", "The house is small."), ("Der Hund bellt laut.", "The dog barks loudly."),
    ("Ich trinke Kaffee.", "I drink coffee."), ("Es regnet heute.", "It is raining today."),
    ("Wir gehen nach Hause.", "We are going home."), ("Die Katze schläft.", "The cat is sleeping.")])]
GOOD = ["The house is small.", "The dog barks loudly.", "I drink coffee.", "It rains today.",
        "We go home.", "The cat sleeps."]
WEAK = [XSS, "A dog barks.", "I drink tea.", "Today it is raining.", "We walk home.", "The cat is sleeping."]


def _browser():
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    driver_bin = shutil.which("chromedriver")
    if not chromium or not driver_bin:
        pytest.skip("no headless browser: install Debian's chromium and chromium-driver "
                    "(apt-get install chromium chromium-driver) to run the report's browser test")
    webdriver = pytest.importorskip("selenium.webdriver", reason="selenium is not installed (pip install selenium)")
    from selenium.webdriver.chrome.service import Service
    options = webdriver.ChromeOptions()
    options.binary_location = chromium
    for flag in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"):
        options.add_argument(flag)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    return webdriver.Chrome(service=Service(driver_bin), options=options)


@pytest.fixture(scope="module")
def report(tmp_path_factory):
    root = tmp_path_factory.mktemp("report")
    refs = write_jsonl(root / "refs.jsonl", REFS)
    (root / "mini.yaml").write_text(f"name: mini\nversion: 1\nfamily: translation\n"
                                    f"source: {{path: {refs}}}\nmetrics: [chrf]\n")
    for name, preds in (("good", GOOD), ("weak", WEAK)):
        path = write_jsonl(root / f"{name}.jsonl", [{"id": r["id"], "prediction": p} for r, p in zip(REFS, preds)])
        evaluate(f"predictions:{path}", ["demo-translation"], RunOptions(data=refs, output=root / "results"))
        evaluate(f"predictions:{path}", [str(root / "mini.yaml")], RunOptions(output=root / "results"))
    evaluate("copy-source", ["demo-translation"], RunOptions(data=refs, output=root / "results"))
    return write_report([root / "results"], root / "report.html")


@pytest.fixture(scope="module")
def page(report):
    driver = _browser()
    driver.get(report.as_uri())
    yield driver
    driver.quit()


def test_the_page_loads_without_console_errors(page):
    assert page.find_element("id", "leaderboard-table").is_displayed()
    errors = [e for e in page.get_log("browser") if e["level"] in ("SEVERE", "ERROR")]
    assert errors == []


def _column(page, index: int) -> list[str]:
    return [r.find_elements("tag name", "td")[index].text
            for r in page.find_elements("css selector", "#leaderboard-table tbody tr")]


def test_sorting_a_column_reorders_the_rows(page):
    buttons = page.find_elements("css selector", "#leaderboard-table thead th button")
    ter = next(i for i, b in enumerate(buttons) if b.text.startswith("demo-translation:ter"))
    buttons[0].click()  # by model name, descending first
    names = _column(page, 0)
    assert names == sorted(names, reverse=True)
    buttons[ter].click()  # best first: the lowest TER
    by_ter = _column(page, 0)
    values = [float(t.split()[0]) for t in _column(page, ter)]
    assert values == sorted(values) and by_ter != names
    buttons[ter].click()  # again: the other direction
    assert _column(page, 0) == list(reversed(by_ter))


def test_the_sample_browser_filters(page):
    rows = page.find_elements("css selector", "#samples-body tr")
    assert len(rows) == len(REFS)
    box = page.find_element("id", "pick-text")
    box.send_keys("coffee")
    rows = page.find_elements("css selector", "#samples-body tr")
    assert len(rows) == 1 and "coffee" in rows[0].text
    from selenium.webdriver.common.keys import Keys
    box.send_keys(Keys.BACKSPACE * len("coffee"))  # typed away, as a user would: clear() sends no input event
    assert page.find_element("id", "samples-count").text.startswith(f"{len(REFS)} examples")


def test_the_sample_browser_filters_by_task(page):
    from selenium.webdriver.support.ui import Select
    pick = Select(page.find_element("id", "pick-task"))
    assert sorted(o.text for o in pick.options) == ["demo-translation", "mini"]
    pick.select_by_visible_text("mini")
    rows = page.find_elements("css selector", "#samples-body tr")
    assert {r.get_attribute("data-task") for r in rows} == {"mini"}
    assert [o.text for o in Select(page.find_element("id", "pick-metric")).options] == ["chrf"]
    assert all(not o.text.startswith("copy-source") for o in Select(page.find_element("id", "pick-a")).options)
    pick.select_by_visible_text("demo-translation")


def test_untrusted_predictions_show_as_text_and_run_nothing(page):
    from selenium.common.exceptions import NoAlertPresentException
    from selenium.webdriver.support.ui import Select
    models = [o.text for o in Select(page.find_element("id", "pick-a")).options]
    weak = next(m for m in models if m.endswith("weak.jsonl"))
    Select(page.find_element("id", "pick-a")).select_by_visible_text(weak)
    cells = [c.text for c in page.find_elements("css selector", "#samples-body td.pred-a")]
    assert any("<script>alert(1)</script>" in c and "<img src=x onerror=alert(1)>" in c for c in cells)
    assert page.find_elements("css selector", "#samples-body img, #samples-body script") == []
    with pytest.raises(NoAlertPresentException):
        page.switch_to.alert.text
    assert page.execute_script("return document.querySelectorAll('body script').length") == 2


def test_the_file_is_self_contained(report):
    html = report.read_text(encoding="utf-8")
    assert "http://" not in html.replace("http-equiv", "") and "https://" not in html
    assert XSS not in html  # only in escaped form
    data = html.split('id="report-data">', 1)[1].split("</script>", 1)[0]
    task = json.loads(data)["tasks"]["demo-translation"]
    assert any(o["prediction"] == XSS for m in task["models"].values() for o in m["outputs"].values())
