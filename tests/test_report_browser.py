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


def test_metric_agreement_is_a_table_under_the_leaderboard(page):
    rows = [[td.text for td in r.find_elements("tag name", "td")]
            for r in page.find_elements("css selector", "#agreement-table tbody tr")]
    assert [r[:4] for r in rows] == [["demo-translation", a, b, "3"] for a, b in
                                     (("bleu", "chrf"), ("bleu", "ter"), ("chrf", "ter"))]  # mini has one metric
    assert page.find_element("id", "agreement-table").is_displayed()
    assert "demo-translation:bleu: the rule separates" in page.find_element("id", "power-notes").text


def test_the_file_is_self_contained(report):
    html = report.read_text(encoding="utf-8")
    # the SVG namespace names the plots' element kind; nothing is fetched from it
    assert "http://" not in html.replace("http-equiv", "").replace("http://www.w3.org/2000/svg", "")
    assert "https://" not in html
    assert XSS not in html  # only in escaped form
    data = html.split('id="report-data">', 1)[1].split("</script>", 1)[0]
    task = json.loads(data)["tasks"]["demo-translation"]
    assert any(o["prediction"] == XSS for m in task["models"].values() for o in m["outputs"].values())


# ---- a report with many columns, Chinese, images, a cap, and two runs of one model ----

ZH_REFS = ["我喜欢喝咖啡。", "今天下雨了。", "猫在睡觉。"]
ZH = {"zh-good": ["我喜欢喝咖啡。", "今天下雨了。", "猫在睡觉。"], "zh-weak": ["我喜欢喝茶。", "今天下雨。", "狗在睡觉。"]}
CAPTIONS = [("red.png", (200, 30, 30), "A red square."), ("green.png", (30, 160, 60), "A green square."),
            ("blue.png", (40, 60, 200), "A blue square.")]
TASK = "name: {name}\nversion: 1\nfamily: {family}\nsource: {{path: {data}}}\nmetrics: [{metrics}]\n"


@pytest.fixture(scope="module")
def rich(tmp_path_factory):
    from PIL import Image
    root = tmp_path_factory.mktemp("rich")
    out = RunOptions(output=root / "results")
    refs = write_jsonl(root / "refs.jsonl", REFS)
    news = []
    for name in ("news-a", "news-b", "news-c"):  # 9 score columns: more than one table holds
        (root / f"{name}.yaml").write_text(TASK.format(name=name, family="translation", data=refs,
                                                       metrics="bleu, chrf, ter"))
        news.append(str(root / f"{name}.yaml"))
    for name, preds in (("good", GOOD), ("weak", WEAK)):
        path = write_jsonl(root / f"{name}.jsonl", [{"id": r["id"], "prediction": p} for r, p in zip(REFS, preds)])
        evaluate(f"predictions:{path}", news, out)
    for post in ("none", "first_line"):  # one model, two runs that differ in post-processing
        evaluate("copy-source", news[:1], RunOptions(output=root / "results", postprocess=post))
    zh_refs = write_jsonl(root / "zh.jsonl", [{"id": f"z{i}", "source": "x", "references": [r]}
                                             for i, r in enumerate(ZH_REFS)])
    (root / "zh.yaml").write_text(TASK.format(name="zh", family="translation", data=zh_refs, metrics="chrf"))
    for name, preds in ZH.items():
        path = write_jsonl(root / f"{name}.jsonl", [{"id": f"z{i}", "prediction": p} for i, p in enumerate(preds)])
        evaluate(f"predictions:{path}", [str(root / "zh.yaml")], out)
    (root / "cap" / "images").mkdir(parents=True)
    for file, color, _ in CAPTIONS:
        Image.new("RGB", (640, 480), color).save(root / "cap" / "images" / file)
    caps = write_jsonl(root / "cap" / "test.jsonl", [{"id": f.split(".")[0], "image": f"images/{f}", "references": [c]}
                                                     for f, _, c in CAPTIONS])
    (root / "cap" / "cap.yaml").write_text(TASK.format(name="cap", family="captioning", data=caps, metrics="coco_bleu4"))
    for name, texts in (("cap-good", [c for *_, c in CAPTIONS]), ("cap-weak", ["A square."] * 3)):
        path = write_jsonl(root / f"{name}.jsonl", [{"id": f.split(".")[0], "prediction": t}
                                                   for (f, *_), t in zip(CAPTIONS, texts)])
        evaluate(f"predictions:{path}", [str(root / "cap" / "cap.yaml")], out)
    return write_report([root / "results"], root / "rich.html", max_samples=4)


@pytest.fixture(scope="module")
def rich_page(rich):
    driver = _browser()
    driver.set_window_size(1400, 1000)
    driver.get(rich.as_uri())
    yield driver
    driver.quit()


def _pick(page, which: str, text: str | None = None):
    from selenium.webdriver.support.ui import Select
    select = Select(page.find_element("id", f"pick-{which}"))
    if text is not None:
        select.select_by_visible_text(text)
    return select


def test_the_leaderboard_fits_1400_px(rich_page, page):
    tables = rich_page.find_elements("css selector", ".board table")
    assert sorted(t.get_attribute("id") for t in tables) == ["leaderboard-cap", "leaderboard-means", "leaderboard-news-a",
                                                               "leaderboard-news-b", "leaderboard-news-c", "leaderboard-zh"]
    for driver in (rich_page, page):
        driver.set_window_size(1400, 1000)
        overflow = driver.execute_script(
            "return Array.from(document.querySelectorAll('.board table')).map(function (t) {"
            "  var w = t.parentElement; return [t.id, w.scrollWidth - w.clientWidth]; })"
            ".concat([['page', document.documentElement.scrollWidth - window.innerWidth]])")
        assert all(extra <= 0 for _, extra in overflow), overflow  # every column in view, nothing to scroll
    head = [b.text for b in rich_page.find_elements("css selector", "#leaderboard-news-b thead button")]
    assert head == ["model", "bleu", "chrf", "ter ↓"]


def test_the_sample_browser_opens_on_two_different_systems(rich_page):
    a, b = _pick(rich_page, "a"), _pick(rich_page, "b")
    assert _pick(rich_page, "task").first_selected_option.text == "news-a"  # the task most systems ran
    assert a.first_selected_option.text != b.first_selected_option.text
    _pick(rich_page, "a", b.first_selected_option.text)  # A set to B's system: B moves to another
    assert _pick(rich_page, "a").first_selected_option.text != _pick(rich_page, "b").first_selected_option.text


def test_caps_are_stated_as_n_of_m(rich_page):
    _pick(rich_page, "task", "news-a")
    assert "the report keeps 4 of 6 examples of model A" in rich_page.find_element("id", "samples-count").text
    notes = [p.text for p in rich_page.find_elements("css selector", "p.capped")]
    assert any("news-a" in n and "keeps 4 of 6 examples" in n for n in notes)


def test_chinese_is_highlighted_character_by_character(rich_page):
    _pick(rich_page, "task", "zh")
    a = next(o.text for o in _pick(rich_page, "a").options if o.text.endswith("zh-good.jsonl"))
    b = next(o.text for o in _pick(rich_page, "b").options if o.text.endswith("zh-weak.jsonl"))
    _pick(rich_page, "a", a)
    _pick(rich_page, "b", b)
    rows = {r.find_element("css selector", "td").text: r for r in rich_page.find_elements("css selector", "#samples-body tr")}
    marked = lambda row, tag: [e.text for e in row.find_elements("css selector", tag)]
    assert marked(rows["z0"], "td.pred-a del") == ["咖", "啡"] and marked(rows["z0"], "td.pred-b ins") == ["茶"]
    assert marked(rows["z2"], "td.pred-a del") == ["猫"] and rows["z2"].find_element("css selector", "td.pred-b").text == "狗在睡觉。"


def test_captions_show_thumbnails_and_relative_paths(rich_page, rich):
    _pick(rich_page, "task", "cap")
    cells = rich_page.find_elements("css selector", "#samples-body td.input")
    assert sorted(c.text for c in cells) == sorted(f"images/{f}" for f, *_ in CAPTIONS)
    thumbs = rich_page.find_elements("css selector", "#samples-body td.input img.thumb")
    assert len(thumbs) == len(CAPTIONS)
    for img in thumbs:
        assert img.get_attribute("src").startswith("data:image/jpeg;base64,")
        assert 0 < rich_page.execute_script("return arguments[0].naturalWidth", img) <= 96
    data = json.loads(rich.read_text(encoding="utf-8").split('id="report-data">', 1)[1].split("</script>", 1)[0])
    assert all(len(ex["thumb"]) < 8000 for ex in data["tasks"]["cap"]["examples"].values())  # small: a few KB
    assert str(rich.parent) not in json.dumps(data["tasks"]["cap"]["examples"])


def test_systems_are_named_by_what_differs_everywhere(rich_page):
    rows = [td.text for td in rich_page.find_elements("css selector", "#leaderboard-news-a tbody td:first-child")]
    assert {"copy-source [postprocess: none]", "copy-source [postprocess: first_line]"} <= set(rows)
    _pick(rich_page, "task", "news-a")
    assert sorted(o.text for o in _pick(rich_page, "a").options) == sorted(rows)
    assert sorted(o.text for o in _pick(rich_page, "b").options) == sorted(rows)


def test_the_pairwise_view_shows_buckets_and_opens_their_examples(page):
    _pick(page, "task", "demo-translation")
    _pick(page, "metric", "chrf")
    groups = page.find_elements("css selector", "#pairwise-body .pw-group")
    assert [g.find_element("tag name", "h4").text for g in groups] == [
        "by reference length (tokens)", "by source length (tokens)", "by baseline's per-example chrf"]
    for group in groups:  # one bar and one row per bucket, the buckets covering every example
        rows = group.find_elements("css selector", "table.pw-table tr")[1:]
        assert len(group.find_elements("css selector", "svg rect.pw-bar")) == len(rows) >= 2
        assert sum(int(r.find_elements("tag name", "td")[1].text) for r in rows) == len(REFS)
    row = groups[0].find_elements("css selector", "table.pw-table tr")[1]
    n = int(row.find_elements("tag name", "td")[1].text)
    row.find_element("css selector", "button.pw-show").click()
    assert len(page.find_elements("css selector", "#samples-body tr")) == n < len(REFS)
    assert "reference length" in page.find_element("id", "bucket-filter").text
    page.find_element("id", "bucket-clear").click()
    assert len(page.find_elements("css selector", "#samples-body tr")) == len(REFS)
    assert not page.find_element("id", "bucket-filter").is_displayed()
    assert page.find_elements("css selector", "#pairwise-body p.ngrams")[0].text.startswith("n-grams B matches")
    ngram = page.find_element("css selector", "#pairwise-body button.pw-ngram")
    ngram.click()  # the examples where A and B match it differently: at least one, never all six here
    shown = page.find_elements("css selector", "#samples-body tr")
    assert 1 <= len(shown) < len(REFS) and "matched differently" in page.find_element("id", "bucket-filter").text
    page.find_element("id", "bucket-clear").click()


def test_the_pairwise_view_of_captions_opens_on_their_images(rich_page):
    _pick(rich_page, "task", "cap")
    _pick(rich_page, "a", next(o.text for o in _pick(rich_page, "a").options if o.text.endswith("cap-weak.jsonl")))
    _pick(rich_page, "b", next(o.text for o in _pick(rich_page, "b").options if o.text.endswith("cap-good.jsonl")))
    titles = [h.text for h in rich_page.find_elements("css selector", "#pairwise-body h4")]
    assert titles == ["by reference length (tokens)", "by baseline's per-example coco_bleu4"]  # no source text
    rich_page.find_element("css selector", "#pairwise-body button.pw-show").click()
    rows = rich_page.find_elements("css selector", "#samples-body tr")
    assert len(rows) == len(CAPTIONS) and all(r.find_elements("css selector", "img.thumb") for r in rows)
    rich_page.find_element("id", "bucket-clear").click()
