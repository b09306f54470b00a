"""bench/accuracy.py's folds and metrics, on made pages (the real pages stay outside the project)."""

import importlib.util
import json
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def accuracy():
    spec = importlib.util.spec_from_file_location("bench_accuracy", ROOT / "bench" / "accuracy.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


ARTICLE = (
    "<html><head><title>{title}_示例新闻网</title></head><body><div class='nav'><a href='https://{host}/'>首页</a></div>"
    "<h1>{title}</h1><div class='info'>发布时间：2025-03-30 09:15 作者：{author}</div><div class='article-content'>"
    "{paragraphs}</div><div class='footer'>Copyright © 示例新闻网</div></body></html>"
)
PARAGRAPHS = [
    f"第{n}段：城市更新工作坚持以人民为中心，改造老旧小区、完善公共服务设施，让居民生活更加便利舒适。" for n in range(4)
]


def write_page(folder: Path, name: str, host: str, url: str | None = None, **labels) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    html = ARTICLE.format(
        title="老街区焕发新活力", host=host, author="张三", paragraphs="".join(f"<p>{p}</p>" for p in PARAGRAPHS)
    )
    (folder / f"{name}.html").write_text(html, encoding="utf-8")
    truth = {"url": url, "body": "\n".join(PARAGRAPHS), **labels}
    (folder / f"{name}.json").write_text(json.dumps(truth, ensure_ascii=False), encoding="utf-8")


def test_registered_domain(accuracy):
    assert accuracy.registered_domain("news.sina.com.cn") == "sina.com.cn"
    assert accuracy.registered_domain("health.people.com.cn") == "people.com.cn"
    assert accuracy.registered_domain("www.163.com") == "163.com"
    assert accuracy.registered_domain("stevenhgm.pixnet.net") == "pixnet.net"


def test_folds_keep_sites_whole_spread_sources_and_do_not_move(accuracy, tmp_path):
    for source, count in (("a", 12), ("b", 6)):
        for i in range(count):
            site = f"site{i % 4}{source}.cn"
            # Half the pages carry their address, half only links to their site.
            url = f"https://www.{site}/n/{i}.html" if i % 2 else None
            write_page(tmp_path / source, f"{source}{i}", host=f"www.{site}", url=url)
    pages = accuracy.load(tmp_path / "a") + accuracy.load(tmp_path / "b")
    folds = accuracy.assign_folds(pages, 3)
    assert folds == accuracy.assign_folds(pages, 3)
    by_site: dict[str, set[int]] = {}
    for (html_path, truth), fold in zip(pages, folds, strict=True):
        by_site.setdefault(accuracy.site_of(html_path, truth), set()).add(fold)
    assert len(by_site) == 8 and all(len(f) == 1 for f in by_site.values())
    for source in ("a", "b"):
        counts = [sum(1 for (p, _), f in zip(pages, folds, strict=True) if p.parent.name == source and f == k) for k in range(3)]
        assert max(counts) - min(counts) <= 3, counts  # sites of 3 and 2 pages (source a) and 2 and 1 (b)


def test_a_page_without_address_or_links_is_a_site_of_its_own(accuracy, tmp_path):
    (tmp_path / "x.html").write_text("<html><body><p>text</p></body></html>", encoding="utf-8")
    assert accuracy.site_of(tmp_path / "x.html", {"url": None}) == "page:x"


@pytest.mark.parametrize(
    ("found", "truth", "ok"),
    [
        ("老街区焕发新活力", "老街区焕发新活力", True),
        ("老街区焕发新活力", "老街区焕发新活力_示例新闻网", True),
        ("新竹尖石_美樹營地賞楓 (2)", "新竹尖石_美樹營地賞楓 (2) @ 史蒂文的家_藍天 :: 痞客邦 PIXNET ::", True),
        ("老街区", "老街区焕发新活力", False),  # a cut headline is no headline
        (None, "老街区焕发新活力", False),
    ],
)
def test_title_against_a_label_that_keeps_the_site_suffix(accuracy, found, truth, ok):
    assert accuracy.title_ok(found, truth) is ok


def test_snippets_and_the_lines_spec_keeps_out(accuracy):
    truth = "第一段正文内容在这里。\n图为活动现场。\n（责任编辑：李四）\n第二段正文内容在这里。"
    outside = accuracy.spec_outside(b"<html><body><p>x</p></body></html>", truth)
    assert outside == {accuracy.counted("图为活动现场。"), accuracy.counted("（责任编辑：李四）")}
    kept, lines, spec_kept, spec_lines = accuracy.snippets_kept("第一段正文内容在这里。\n第二段正文内容", truth, outside)
    assert (kept, lines, spec_kept, spec_lines) == (1, 4, 1, 2)


def test_link_lines_are_outside_the_body_spec_keeps(accuracy):
    html = "<html><body><a href='/1'>医疗关注前列腺新发现</a><a href='/2'>皮肤顽疾康复圣地</a></body></html>".encode()
    truth = "·\t医疗关注前列腺新发现\t·\t皮肤顽疾康复圣地\n正文的一段话，不是链接。"
    assert accuracy.spec_outside(html, truth) == {accuracy.counted("医疗关注前列腺新发现\t·\t皮肤顽疾康复圣地")}


def test_report_per_fold_with_n(accuracy, tmp_path, capsys):
    for i in range(6):
        write_page(
            tmp_path / "src", f"p{i}", host=f"www.site{i}.cn", url=f"https://www.site{i}.cn/n/20250330/{i}.html",
            publish_time="2025-03-30 09:15", author="张三",
        )  # fmt: skip
    out = tmp_path / "out.json"
    assert accuracy.main([str(tmp_path / "src"), "--no-others", "--folds", "3", "--dev-folds", "0", "--json", str(out)]) == 0
    printed = capsys.readouterr().out
    assert "held-out" in printed and "fold 0 dev" in printed
    summary = json.loads(out.read_text(encoding="utf-8"))["systems"]["caiji"]["summary"]
    assert summary["ALL"]["n"] == {
        "body_f1": 6,
        "time": 6,
        "day": 6,
        "author": 6,
        "title": 0,
        "snippets": 24,
        "spec_snippets": 24,
    }
    assert summary["ALL"]["body_f1"] == 1.0 and summary["ALL"]["time"] == 1.0 and summary["ALL"]["author"] == 1.0
    assert summary["ALL"]["no_record"] == 0
    assert summary["held-out"]["pages"] + summary["dev"]["pages"] == 6


def test_folds_are_checked(accuracy, tmp_path):
    with pytest.raises(SystemExit):
        accuracy.main([str(tmp_path), "--folds", "1"])
    with pytest.raises(SystemExit):
        accuracy.main([str(tmp_path), "--dev-folds", "0"])
    with pytest.raises(SystemExit):
        accuracy.main([str(tmp_path), "--folds", "3", "--dev-folds", "3"])
