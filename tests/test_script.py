"""Script detection and conversion, with either OpenCC implementation (``make test-pure``)."""

import importlib.metadata
from pathlib import Path

import pytest
from itemadapter import ItemAdapter

from pipelines.script import ScriptConverter, ScriptDetector, ScriptPipeline

pytestmark = pytest.mark.pure

# A copy of ../shared/seeds/000_41a3802ff2d45d1d.txt, so that a clone tests on its own.
SEED = Path(__file__).resolve().parent.parent / "fixtures" / "seeds" / "000_41a3802ff2d45d1d.txt"
SEED_PARAGRAPH = (
    "深化民族團結進步創建工作?近期,昭通市綏江縣堅持以鑄牢中華民族共同體意識為主線,緊扣“中華民族一家親,同心共築中國夢”目标任務"
)
IMPLEMENTATION = (
    "pure"
    if any(d.metadata["Name"].lower() == "opencc-python-reimplemented" for d in importlib.metadata.distributions())
    else "official"
)
# Where the two dictionaries disagree on single characters (measured over U+4E00–U+9FFF):
# character → (official OpenCC 1.4.2, opencc-python-reimplemented 0.1.7).
T2S_DIFFERENCES = {
    "劄": ("札", "劄"), "幷": ("并", "幷"), "扞": ("捍", "扞"), "拚": ("拼", "拚"), "搧": ("扇", "搧"),
    "擡": ("抬", "擡"), "牴": ("抵", "牴"), "甦": ("甦", "苏"), "甯": ("甯", "宁"), "礆": ("礆", "硷"),
    "箚": ("札", "箚"), "舖": ("铺", "舖"), "袷": ("夹", "袷"), "谿": ("溪", "谿"), "貍": ("狸", "貍"),
    "逕": ("径", "迳"), "遶": ("绕", "遶"),
}  # fmt: skip
S2T_DIFFERENCES = {"托": ("托", "託"), "栗": ("栗", "慄"), "硷": ("硷", "礆")}


@pytest.fixture(scope="module")
def detector():
    return ScriptDetector()


@pytest.mark.parametrize(
    ("texts", "expected"),
    [
        (["深化民族团结进步创建工作，昭通市绥江县坚持以铸牢中华民族共同体意识为主线"], "hans"),
        (["深化民族團結進步創建工作，昭通市綏江縣堅持以鑄牢中華民族共同體意識為主線"], "hant"),
        # The seed: machine-converted Traditional with a few Simplified leftovers is still hant …
        ([SEED_PARAGRAPH], "hant"),
        # … while half and half is mixed.
        (["民族團結進步創建工作綏江縣", "中华民族共同体意识为主线紧扣"], "mixed"),
        (["中国人民大学"], "none"),  # no script-specific character: too little to tell
        (["only latin text 123"], "none"),
        ([], "none"),
    ],
)
def test_detect(detector, texts, expected):
    assert detector.detect(texts) == expected


@pytest.mark.parametrize(
    ("target", "text", "expected"),
    [
        ("hans", "深化民族團結進步創建工作 目标 推荐阅读", "深化民族团结进步创建工作 目标 推荐阅读"),
        ("hant", "深化民族团结进步创建工作", "深化民族團結進步創建工作"),
        ("tw", "软件信息", "軟件信息"),
        ("hk", "软件信息", "軟件信息"),
        ("none", "深化民族團結", "深化民族團結"),
    ],
)
def test_convert(target, text, expected):
    assert ScriptConverter(target).convert(text) == expected


def test_convert_all_remembers_one_line_texts_and_forgets_when_full():
    converter = ScriptConverter("hans")
    converter.MAX_KNOWN = 3
    lines = [line for line in SEED.read_text(encoding="utf-8").splitlines() if line.strip()][:40]
    texts = [None, "", "深化民族團結進步", "\n".join(lines[:5]), *lines, "深化民族團結進步"]
    expected = [converter.convert(text) for text in texts]
    for _ in range(3):  # the first call learns, the next ones remember (and overflow the memory)
        assert converter.convert_all(texts) == expected
    assert converter.convert_all(lines[5:7]) == expected[9:11]


def test_bad_target():
    with pytest.raises(ValueError, match="CAIJI_SCRIPT_TARGET"):
        ScriptConverter("klingon")


def test_seed_converts_the_same_with_both_implementations():
    text = SEED.read_text(encoding="utf-8")
    converted = ScriptConverter("hans").convert(text)
    assert "深化民族团结进步创建工作" in converted
    assert "云南网通讯员 代洪" in converted
    assert "綏" not in converted and "團" not in converted


@pytest.mark.parametrize("char", sorted(T2S_DIFFERENCES))
def test_known_t2s_differences(char):
    official, pure = T2S_DIFFERENCES[char]
    assert ScriptConverter("hans").convert(char) == (official if IMPLEMENTATION == "official" else pure)


@pytest.mark.parametrize("char", sorted(S2T_DIFFERENCES))
def test_known_s2t_differences(char):
    official, pure = S2T_DIFFERENCES[char]
    assert ScriptConverter("hant").convert(char) == (official if IMPLEMENTATION == "official" else pure)


def test_pipeline_converts_every_text_value_but_no_url():
    item = {
        "url": "https://www.tftnews.com/news/團結.html",
        "title": "深化民族團結",
        "timestamp_raw": "更新時間:2025-03-31",
        "author": "雲南網通訊員 代洪",
        "source": "雲南網",
        "breadcrumbs": ["首页", "每日頭條"],
        "body": "綏江縣\n堅持",
        "images": [{"url": "https://x/團.jpg", "alt": "團結", "caption": "專題文藝演出。供圖"}],
        "related_links": [{"url": "https://x/採.html", "title": "采山買斧什麼意思", "summary": "韋應物", "date": None}],
    }
    ScriptPipeline("hans").process_item(item)
    adapter = ItemAdapter(item)
    assert adapter["script"] == {"detected": "hant", "target": "hans"}
    assert item["title"] == "深化民族团结"
    assert item["author"] == "云南网通讯员 代洪"
    assert item["source"] == "云南网"
    assert item["breadcrumbs"] == ["首页", "每日头条"]
    assert item["body"] == "绥江县\n坚持"
    assert item["images"][0] == {"url": "https://x/團.jpg", "alt": "团结", "caption": "专题文艺演出。供图"}
    assert item["related_links"][0]["title"] == "采山买斧什么意思"
    assert item["related_links"][0]["summary"] == "韦应物"
    assert item["related_links"][0]["url"] == "https://x/採.html"
    assert item["timestamp_raw"] == "更新時間:2025-03-31"
    assert len(item["content_hash"]) == 64


def test_pipeline_with_target_none_records_null():
    item = {"title": "團結", "body": "綏江縣"}
    ScriptPipeline("none").process_item(item)
    assert item["script"] == {"detected": "none", "target": None}
    assert item["title"] == "團結"
