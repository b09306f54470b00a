"""Finding an article's time, author and source among the lines of a page.

The page is read once into an outline: its lines in order, each marked with where it sits (the
headline, the article text, a comment or navigation block). Candidates are then scored by their
labels (发布时间, 作者, 记者 …) and by where they sit relative to the headline and the text, which is
what tells the article's own time from a related item's, a comment's or the copyright year.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import lru_cache

from lxml import etree

from crawler.extraction.dates import parse_time
from crawler.extraction.html import BLOCK_TAGS, SKIP_TAGS
from crawler.extraction.text import clean_text

# Blocks whose times and names belong to someone else.
_FOREIGN_TOKENS = frozenset(
    [
        "comment",
        "comments",
        "commentlist",
        "cmt",
        "reply",
        "replies",
        "related",
        "relate",
        "recommend",
        "tuijian",
        "xiangguan",
        "hot",
        "hotnews",
        "rank",
        "ranking",
        "sidebar",
        "side",
        "aside",
        "footer",
        "foot",
        "copyright",
        "nav",
        "navbar",
        "menu",
    ]
)
_TOKEN_SPLIT = re.compile(r"[\s_\-:.]+|(?<=[a-z])(?=[A-Z])")


@dataclass(slots=True)
class Line:
    """One line of a page and where it sits."""

    text: str
    in_content: bool = False
    foreign: bool = False
    is_title: bool = False
    linked: bool = False


def outline(root: etree._Element, content: etree._Element | None, title_el: etree._Element | None) -> list[Line]:
    """The page's lines in order, marked with content, headline and foreign (comment, nav …) blocks."""
    out: list[Line] = []
    buf: list[str] = []
    none = (False, False, False, False)
    flags = none  # in_content, foreign, is_title, linked of the text in buf
    blocks, skipped, foreign_tags = BLOCK_TAGS, SKIP_TAGS, _FOREIGN_TAGS
    # Depth first with a stack of children iterators, one entry per element that has children:
    # (element, its children still to read, the flags of its own text, the flags its tail takes).
    stack: list[tuple[etree._Element | None, Iterator[etree._Element], tuple, tuple]] = [(None, iter((root,)), none, none)]
    while stack:
        parent, children, inherited, parent_tail = stack[-1]
        leaving = None
        for el in children:
            tag = el.tag
            tag = tag.lower() if tag.__class__ is str else ""
            if not tag or tag in skipped:
                if el is not root and el.tail:
                    buf.append(el.tail)
                continue
            if buf and (tag in blocks or tag == "br" or el is title_el):
                text = clean_text("".join(buf))
                if text:
                    out.append(Line(text, *flags))
                buf.clear()
            in_content, foreign, is_title, linked = inherited
            in_content = in_content or el is content
            # Figures and their captions credit photographers (通讯员 李国强 摄), not authors.
            if not foreign:
                foreign = tag in foreign_tags or _foreign_words(el.get("class", ""), el.get("id", ""))
            own = (in_content, foreign, is_title or el is title_el, linked or tag == "a")
            if el.text:
                if not buf:
                    flags = own
                buf.append(el.text)
            if len(el):
                stack.append((el, iter(el), own, inherited))
            else:
                leaving, tail_flags = el, inherited  # a childless element is left at once
            break
        else:
            stack.pop()  # the element's children are all read: leave it
            leaving, tail_flags = parent, parent_tail
        if leaving is None:
            continue
        if buf and (leaving.tag.lower() in blocks or leaving is title_el):
            text = clean_text("".join(buf))
            if text:
                out.append(Line(text, *flags))
            buf.clear()
        # Its tail takes its parent's flags.
        if leaving is not root and leaving.tail:
            if not buf:
                flags = tail_flags
            buf.append(leaving.tail)
    if buf:
        text = clean_text("".join(buf))
        if text:
            out.append(Line(text, *flags))
    return out


_FOREIGN_TAGS = frozenset(["footer", "nav", "aside", "figure", "figcaption"])


@lru_cache(maxsize=4096)
def _foreign_words(classes: str, id_: str) -> bool:
    # Pages repeat a few class names on many elements: each pair is tokenized once.
    words = f"{classes} {id_}"
    if not words.strip():
        return False
    return bool({t.lower() for t in _TOKEN_SPLIT.split(words) if t} & _FOREIGN_TOKENS)


# --- headline -------------------------------------------------------------------------------

_NOT_HEADLINE = re.compile(r"当前位置|當前位置|您的位置|>>|->|›|»|\(rss\)|^推荐|^分享|[。！？!?，,：:；;]$|https?://")


def headline(lines: list[Line]) -> str | None:
    """A headline for a page whose markup names none: the heading-like line that opens the
    article text, or the one right above it."""
    content = [i for i, line in enumerate(lines) if line.in_content]
    if not content:
        return None
    start = content[0]
    # The text's first line; the next one when the first is a breadcrumb; then the lines above.
    opening = [start, start + 1] if re.search(r"当前位置|當前位置|您的位置|>>|->", lines[start].text) else [start]
    for i in [*opening, *range(start - 1, max(-1, start - 5), -1)]:
        text = lines[i].text
        if lines[i].foreign or not 4 <= len(text) <= 60 or _NOT_HEADLINE.search(text) or date_shape(text):
            continue
        return text
    return None


# --- time -------------------------------------------------------------------------------------

_CORE_SHAPES = (
    r"(?:19|20)\d{2}\s*[-/.年]\s*\d{1,2}\s*[-/.月]\s*\d{1,2}(?:\s*+日?\s*+(?:上午|下午|中午|晚上|凌晨|早上)?\s*+\d{1,2}:\d{2}(?::\d{2})?)?|"
    r"\d{1,2}/\d{1,2}/(?:19|20)\d{2}|"
    r"\d+\s*(?:分钟|分鐘|小时|小時|天)前|昨天|前天|今天\s*\d|刚刚|剛剛|"
    r"(?<!\d)\d{1,2}[-月]\d{1,2}日?\s++(?:上午|下午|中午|晚上|凌晨|早上)?\s*+\d{1,2}:\d{2}"
)
_RARE_SHAPES = (
    r"民[國国]\s*\d{2,3}\s*年\s*\d{1,2}\s*月|(?<![\d.])1[0-4]\d\s*年\s*\d{1,2}\s*月\s*\d{1,2}\s*日|"
    r"(?<![A-Za-z])(?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)[a-z]{0,6}\.?\s+\d{1,2}(?:st|nd|rd|th)?,?\s+(?:19|20)\d{2}|"
    r"(?<!\d)\d{1,2}\s+(?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)[a-z]{0,6}\.?,?\s+(?:19|20)\d{2}"
)
#: A time as portals print it: absolute dates (Taiwan's 民國 years and English month names too),
#: relative times, month-day with a time.
DATE_SHAPE = re.compile(_CORE_SHAPES + "|" + _RARE_SHAPES)
_CORE_SHAPE = re.compile(_CORE_SHAPES)
_RARE_SHAPE = re.compile(_RARE_SHAPES)
# Every alternative of the common shapes starts with one of these (\d: any Unicode digit, as in
# the pattern: １２小时前 is a time): a line without them is passed over at the speed of a
# character-class scan, and the pattern is tried from the first of them. Every rare shape (民國
# years, English months) holds a digit and 年 or a capital letter, and starts with a digit, 民 or
# a capital letter.
_DATE_START = re.compile(r"[\d昨前今刚剛]")
_RARE_IN = re.compile(r"[年JFMASOND]")
_RARE_LEAD = re.compile(r"[民JFMASOND]")


def date_shape(text: str) -> re.Match | None:
    """``DATE_SHAPE.search(text)``, at a fraction of its cost on the many lines that hold no date."""
    start = _DATE_START.search(text)
    if start is None:
        return None
    found = _CORE_SHAPE.search(text, start.start())
    if not _RARE_IN.search(text):
        return found
    if found is not None and found.start() == start.start() and not _RARE_LEAD.search(text, 0, found.start()):
        return found  # a rare shape that began earlier would begin with 民 or a letter
    # The leftmost of the two, the common shape first at one place: what DATE_SHAPE gives.
    rare = _RARE_SHAPE.search(text)
    return rare if rare is not None and (found is None or rare.start() < found.start()) else found


def without_date_shapes(text: str) -> str:
    """``DATE_SHAPE.sub("", text)``, at a fraction of its cost on text that holds no date."""
    if not _DATE_START.search(text):
        return text
    return DATE_SHAPE.sub("", text) if _RARE_IN.search(text) else _CORE_SHAPE.sub("", text)


_YEAR_MONTH = re.compile(r"(?<!\d)((?:19|20)\d{2})\s*年\s*(\d{1,2})\s*月(?!\s*\d{1,2}\s*日)")
_PUBLISH_LABEL = re.compile(
    r"发布时间|發佈時間|發布時間|发布日期|發佈日期|发表时间|發表時間|发表于|發表於|发布于|發佈於|更新时间|更新時間|"
    r"时间\s*[:：]|時間\s*[:：]|日期\s*[:：]|发稿时间|刊发时间|出版日期|posted|published|由\S{1,24}于\s*\d{4}"
)
_OTHER_LABEL = re.compile(
    r"建立于|注册|註冊|成文日期|截止|出生|生于|加入|最后登录|最後登錄|生日|到期|有效期|开始时间|结束时间|活动时间"
)


_OTHER_PREFIX = re.compile(r"(?:注册|註冊|登录|登錄|截止|开始|開始|结束|結束|活动|活動|成文|出生|建立|加入|到期|最后|最後)\s*$")


def _publish_label(text: str) -> re.Match | None:
    """The first publish label of a line that is not part of another one (注册时间 is no 时间)."""
    for match in _PUBLISH_LABEL.finditer(text):
        if not _OTHER_PREFIX.search(text[max(0, match.start() - 4) : match.start()]):
            return match
    return None


def find_time(lines: list[Line], title: str | None, now: datetime | None = None) -> str | None:
    """The text of the line that most likely holds the article's own time."""
    found = time_candidates(lines, title, now)
    if found:
        return found[0][1]
    for line in lines:
        if not line.foreign and _YEAR_MONTH.search(line.text) and not _OTHER_LABEL.search(line.text):
            return line.text if len(line.text) <= 60 else _YEAR_MONTH.search(line.text).group(0)
    return None


#: A visible time scoring this much is labelled (发布时间 …) or sits right under the headline:
#: evidence strong enough that no other source is asked.
STRONG_TIME = 90


def time_candidates(lines: list[Line], title: str | None, now: datetime | None = None) -> list[tuple[float, str]]:
    """Lines that show a time, as (score, text from the label on), best first: scored by their
    label words, closeness below the headline, place before or after the text, and against
    comment, widget and list lines; none in the future."""
    now = now or datetime.now(UTC)
    title_at = _title_index(lines, title)
    content = [i for i, line in enumerate(lines) if line.in_content]
    content_start = content[0] if content else None
    content_end = content[-1] if content else None
    found: list[tuple[float, int, str]] = []
    for i, line in enumerate(lines):
        text = line.text
        if len(text) > 300 or not date_shape(text):
            continue
        label = _publish_label(text)
        if label and label.start() and date_shape(text[: label.start()]) and date_shape(text[label.start() :]):
            # "注册时间：2010-01-01 发布于 2025-03-27": the time is read from the label on (but in
            # "2025-03-28 18:20 发表于 生活", posted in a category, the time is before it).
            text = text[label.start() :]
        moment = parse_time(text, "Asia/Shanghai", now, fallback=False)
        if moment is None or moment > now:
            continue
        score = 0.0
        short = len(text) <= 60
        if short and label:
            score += 50
        elif _OTHER_LABEL.search(text):
            score -= 80
        if re.search(r"\d{1,2}\s*[:：时時]\s*\d{2}", text):
            score += 15
        if not re.search(r"(?:19|20)\d{2}", text):
            score -= 25  # relative times are also what comment and list widgets print
        if line.foreign:
            # Comments and widgets print other times; a blog post's own footer right after the
            # text ("发表于 2005年09月07日 11:57") is the exception.
            own_footer = label is not None and content_end is not None and 0 < i - content_end <= 3
            score -= 30 if own_footer else 100
        if line.linked:
            score -= 30  # "headline 2025-03-28" lines of related and list widgets
        if not short:
            score -= 25
        if title_at is not None:
            distance = i - title_at
            if distance >= 0:
                score += 40 - min(distance, 40) + (30 if distance <= 3 else 0)
            else:
                score -= 15 + min(-distance, 30)
        elif content_start is not None and 0 < content_start - i <= 8:
            score += 40 - 2 * (content_start - i)  # no headline found: the line above the text
        if content_start is not None and content_start < i <= content_end:
            # Inside the article text: a date in a sentence, unless in its first or last lines.
            score -= 0 if i - content_start <= 3 or content_end - i <= 2 else 35
        elif content_end is not None and i > content_end:
            score += 10 if i - content_end <= 6 else -20  # blogs put 发表于 … right after the text
        if score > -20:
            found.append((score, i, text))
    # Best first; of equal scores the earlier line, as a strict "better than" kept it.
    found.sort(key=lambda c: (-c[0], c[1]))
    return [(score, text) for score, _, text in found]


def _title_index(lines: list[Line], title: str | None) -> int | None:
    for i, line in enumerate(lines):
        if line.is_title:
            return i
    if title:
        for i, line in enumerate(lines):
            if line.text == title:
                return i
    return None


# --- author and source ------------------------------------------------------------------------

_CJK_NAME = r"[\u4e00-\u9fa5][\u4e00-\u9fa5·]{1,3}"
_HANDLE = r"[A-Za-z0-9_][A-Za-z0-9_.&\-]{1,23}"
_NAMES = rf"(?:{_CJK_NAME}|{_HANDLE})(?:(?:\s+|[、，,和及与])(?:{_CJK_NAME}|{_HANDLE})){{0,5}}"
# Where a name ends: punctuation, a space, a digit, or the words that follow bylines.
_NAME_END = r"(?=$|[\s）)】\]｜|/／,，。;；:：丨]|\d|发自|發自|报道|報導|报导|摄|攝|电|電|文\b)"
_NAME_CHARS = r"[^\s:：|丨/,，。()（）【】\[\]<>=\"'!！?？]"
# Words that follow 记者/作者 in a sentence, or labels, and are no name.
_NOT_NAMES = re.compile(
    r"^(?:了解|获悉|获知|得知|发现|看到|注意到|采访|从|在|近日|日前|昨日|昨天|今天|今日|表示|来到|走访|调查|随机|联系|"
    r"一行|博客|协会|节|站|会|证|们|问|手记|观察|专访|连线|探访|实测|体验|随后|当天|当即|再次|多次|第一|一一|单位|简介|信息|"
    r"电话|邮箱|热线|文章|专栏|介绍|信箱|姓名|登录|注册|本人|指出|认为|介绍|说|称|发布|发表|来源|來源|责任编辑|責任編輯|编辑|編輯|"
    r"时间|時間|日期|无内容|未知|佚名|匿名|admin|administrator|网友|網友|游客|遊客|楼主|樓主|沙发|沙發|板凳|地板|本文|该文|該文)|"
    # Words that are no name on their own, but may start one (新闻 is no name; 新闻哥 may be).
    r"^(?:首页|首頁|导航|導航|关注|關注|专栏|專欄|评论|評論|分享|收藏|订阅|訂閱|返回|更多|搜索|主页|主頁|网站|網站|帮助|幫助|设置|"
    r"下载|下載|打印|关闭|關閉|推荐|推薦|热门|熱門|最新|频道|頻道|栏目|欄目|正文|位置|阅读|閱讀|点击|點擊|字号|字號|小字号|大字号|"
    r"附图|附圖|组图|組圖|图|圖|视频|視頻|图片|圖片|全文|原文|转载|轉載|完|待续|待續|"
    r"新闻|新聞|体育|體育|娱乐|娛樂|汽车|汽車|房产|房產|财经|財經|科技|教育|健康|军事|軍事|国际|國際|国内|國內|社会|社會|"
    r"文化|旅游|旅遊|时尚|時尚|女性|游戏|遊戲|读书|讀書|博客|论坛|論壇|彩票|股票|基金|理财|理財|size|color|width|height|align|style|class|font)$"
)
# 作者：张三, 文/张三, by 张三, 执笔人：…; a separator is required so that 作者认为… is no byline.
_LABELLED = re.compile(
    rf"(?:(?:作者|作\s+者|撰文|执笔人|执笔|撰稿人|撰稿|原作者|发文机关|發文機關)\s*(?:[:：丨|/]|\s)|(?:^|(?<=[\s（(【\[]))文\s*[/:：丨|]|(?:^|(?<=\d))\s*by\s)\s*"
    rf"(?P<name>{_NAME_CHARS}{{2,24}}(?:\s*[（(][A-Za-z .]+[）)])?(?:\s+{_NAME_CHARS}{{2,12}}){{0,4}})"
)
_REPORTER = re.compile(
    rf"(?P<byline>(?:[\u4e00-\u9fa5·]{{0,12}}?)(?:特约|实习|见习|首席|驻\S{{1,4}})?(?:记者|記者|通讯员|通訊員|特派员|特派員|实习生|實習生)\s*[:：]?\s*(?P<name>{_NAMES})){_NAME_END}"
)
_PAREN_BYLINE = re.compile(
    rf"[（(]\s*(?:[\u4e00-\u9fa5]{{0,8}}(?:记者|通讯员|記者|通訊員)\s*)?(?P<name>{_NAMES})(?:\s*\S{{2,6}}报道)?\s*[）)]\s*$"
)
_BRACKET_NAME = re.compile(rf"\[\s*(?P<name>{_CJK_NAME}(?:\s+{_CJK_NAME}){{0,3}})\s*\]")
_POSTED_BY = re.compile(
    rf"(?:^|(?<=[\s|:：]))(?:本贴由|本帖由|由)\s*(?P<name>{_NAME_CHARS}{{2,16}}?)\s*(?:张贴|張貼|发表|發表|发布|發佈|(?:于|於)\s*\d)"
)
_POSTED = re.compile(r"^(?:发表于|發表於|发布于|發佈於|posted)", re.I)
_NAME_POSTED = re.compile(rf"^(?P<name>{_HANDLE}|{_CJK_NAME})\s+(?:发表于|發表於)\s*(?:19|20)\d{{2}}")
# A name of single characters spaced out to a width ("赵  培", "王 小 明"): the whole name after a
# label's separator (or the whole line), ending the line or followed by a separator or a label.
_PADDED_NAME = re.compile(
    r"(?:(?<=[:：/丨|])|^)(\s*)((?:[\u4e00-\u9fa5]\s+){1,2}[\u4e00-\u9fa5])(?=\s*$|\s*[|丨/（(：:,，]|\s{2,}|\s+(?:来源|來源|时间|時間|日期|编辑|編輯|\d))"
)


def _unpad(text: str) -> str:
    return _PADDED_NAME.sub(lambda m: m[1] + "".join(m[2].split()), text) if " " in text else text


_EDITOR = re.compile(rf"(?:责任编辑|責任編輯|责编|責編|编辑|編輯|主编|主編)\s*[:：]?\s*(?P<name>{_NAMES}){_NAME_END}")
_SOURCE = re.compile(
    r"(?:来源|來源|来自|來自|稿源|出处|出處|转自|轉自)\s*[:：丨|]\s*[\[［【]?\s*(?P<name>[^\s|丨,，。:：()（）【】\[\]［］]{2,30})"
)
_OUTLET = re.compile(
    r"(?:网|網|报|報|社|台|站|刊|部|局|委|院|会|會|中心|新闻|新聞|频道|頻道|杂志|雜誌|在线|在線|政府|办公室|辦公室|出版|com|cn|net)$"
)
_LONE_NAME = re.compile(rf"^(?:{_CJK_NAME}(?:[、，, ]{_CJK_NAME}){{0,4}}|{_HANDLE})$")


_LABEL_WORD = re.compile(
    r"来源|來源|发布|發佈|发表|發表|时间|時間|日期|阅读|閱讀|点击|點擊|编辑|編輯|责编|浏览|瀏覽|字号|字號|发自|發自|报道|報導|摄|攝|\d"
)


def _clean_name(name: str) -> str | None:
    # "李明 来源：…", "小林说史 发布于 3小时前": the name ends where the next label starts.
    tokens = []
    for token in clean_text(name).split(" "):
        if tokens and (_LABEL_WORD.search(token) or _NOT_NAMES.match(token)):
            break
        tokens.append(token)
    name = " ".join(tokens).strip("·&-_. ")
    if not name or _NOT_NAMES.match(name) or re.fullmatch(r"[\d\W_]+", name):
        return None
    return name


# A name alone on its line: two or three Han characters a name (a four-character line under a
# headline is more often a heading, 学习目的), or a handle.
_LONE_BYLINE = re.compile(
    rf"^(?:[\u4e00-\u9fa5][\u4e00-\u9fa5·]{{1,2}}(?:[、，, ][\u4e00-\u9fa5][\u4e00-\u9fa5·]{{1,2}}){{0,4}}|{_HANDLE})$"
)


def _lone_byline(text: str) -> bool:
    return bool(_LONE_BYLINE.match(text)) and looks_like_person(text)


def names_no_person(name: str) -> bool:
    """True for an outlet's name (…网, …报, …中心) or a word that is no name (新闻, 编辑)."""
    return bool(_OUTLET.search(name) or _NOT_NAMES.match(name))


def looks_like_person(name: str) -> bool:
    """True for a short personal name or handle, not an outlet (新华网, 人民日报)."""
    return bool(_LONE_NAME.match(name)) and not _OUTLET.search(name) and not _NOT_NAMES.match(name)


def find_author(lines: list[Line], title: str | None) -> str | None:
    """The byline: labelled or reporter lines near the headline or the end of the text.

    An editor (责任编辑) is taken only when the page names no author: downstream users would
    rather have the person responsible than nothing, and labelled corpora count it so.
    """
    title_at = _title_index(lines, title)
    while title_at is not None and title_at + 1 < len(lines) and lines[title_at + 1].text == lines[title_at].text:
        title_at += 1  # a headline printed twice: the byline is under the second
    content = [i for i, line in enumerate(lines) if line.in_content]
    start = content[0] if content else (title_at + 1 if title_at is not None else 0)
    end = content[-1] if content else start
    head = title_at if title_at is not None else start
    window = list(range(max(0, head - 3), min(len(lines), max(start, head) + 4)))
    window += list(range(max(start + 3, end - 4), min(len(lines), end + 8)))
    # Short labelled lines (编辑：…, 作者：…) can stand anywhere in the text, and so can a
    # forum post's "本贴由 … 发表" footer, which junk after it can push far from the end.
    window += [i for i in content if len(lines[i].text) <= 40 or lines[i].text.startswith(("本贴由", "本帖由"))]
    candidates: list[tuple[int, int, str]] = []  # (score, -distance, text)
    seen: set[int] = set()
    for i in window:
        if i in seen:
            continue
        seen.add(i)
        line = lines[i]
        # Foreign blocks (comments, sidebars, captions) name other people; a post's own footer
        # right after the text is the exception.
        if line.foreign and not (end < i <= end + 3):
            continue
        if len(line.text) > 500:
            continue  # a paragraph, not a byline; and regexes over a 15 MB line would stall
        following = lines[i + 1].text if i + 1 < len(lines) else ""
        # A line without a byline's characters gives no candidate (tests check it): skip the regexes.
        bylined = _BYLINE_CHARS.search(line.text) is not None
        for score, found in _author_candidates(line.text, following, end - 3 <= i <= end + 3) if bylined else ():
            if line.foreign and not line.in_content:
                score -= 30
            candidates.append((score, -abs(i - start), found))
        # A blog or essay: the author's name alone on a line right under the headline (or, with
        # no headline found, at the top of the text).
        if 0 < i - (title_at if title_at is not None else start - 1) <= 2 and _lone_byline(line.text):
            candidates.append((60 - (i - head), -abs(i - start), line.text))
        if _POSTED.match(following) and looks_like_person(line.text):
            candidates.append((75, -abs(i - start), line.text))  # "ggjjzhzz / 发表于 2005-9-15"
    if not candidates:
        return None
    return max(candidates)[2]


# Each pattern _author_candidates tries needs one of these: 作者, 撰文, 执笔, 发文机关, 文/, by,
# 由, 记者, 通讯员, 特派员, 实习生, brackets, 编辑, 责编, 主编, 本帖由 (and their Traditional forms).
_BYLINE_CHARS = re.compile(r"[作撰执執原发發文由记記通特实實（(\[责責编編主本bB]")


def _author_candidates(text: str, following: str, near_text: bool) -> list[tuple[int, str]]:
    found: list[tuple[int, str]] = []
    # A two-character name padded to the width of three ("作者：赵  培") is one name.
    text, following = _unpad(text), _unpad(following)
    short = len(text) <= 40
    label_only = re.search(r"(?:作者|作\s+者|执笔人|发文机关|發文機關|(?:^|\s)by|本贴由|本帖由|^由)\s*[:：]?\s*$", text, re.I)
    if label_only and following:
        joined = text + following
        match = _POSTED_BY.search(joined)
        name = _clean_name(match["name"] if match else following)
        if name and len(name) <= 24 and "=" not in name:
            found.append((95, name))
    match = _LABELLED.search(text)
    if match:
        name = _clean_name(match["name"])
        if name and "=" not in name:
            found.append((100, name))
    match = _POSTED_BY.search(text)
    if match:
        name = _clean_name(match["name"])
        if name:
            found.append((85, name))
    match = _NAME_POSTED.match(text)
    if match and looks_like_person(match["name"]):
        found.append((75, match["name"]))  # "ggjjzhzz 发表于 2005-9-15 11:46:00"
    for match in _REPORTER.finditer(text):
        name = _clean_name(match["name"])
        inside_parens = bool(re.search(r"[（(][^）)]*$", text[: match.start("name")]))
        if name and (short or inside_parens or match.start() == 0):
            found.append((90, clean_text(text[match.start("byline") : match.start("name")] + name)))
    match = _PAREN_BYLINE.search(text)
    if match and near_text and not text.startswith(("·", "•", "[", "【")):
        name = _clean_name(match["name"])
        if name:
            found.append((70, name))
    match = _BRACKET_NAME.search(text)
    if match and re.search(r"\d{1,2}:\d{2}|来源|來源", text):
        name = _clean_name(match["name"])
        if name and looks_like_person(name):
            found.append((65, name))  # sohu: "2004年7月16日08:19 [ 黄宇 ] 来源：…"
    match = _EDITOR.search(text)
    if match and short:
        name = _clean_name(match["name"])
        if name:
            found.append((30, name))
    return found


def find_source(lines: list[Line], title: str | None) -> str | None:
    """The outlet a 来源 line names, near the headline or at the end of the text."""
    title_at = _title_index(lines, title)
    content = [i for i, line in enumerate(lines) if line.in_content]
    start = content[0] if content else (title_at or 0)
    end = content[-1] if content else start
    indexes = list(range(max(0, (title_at if title_at is not None else start) - 2), min(len(lines), start + 2)))
    indexes += list(range(max(start + 2, end - 3), min(len(lines), end + 4)))
    for i in indexes:
        if len(lines[i].text) > 500:
            continue
        match = _SOURCE.search(lines[i].text)
        if match and not lines[i].foreign:
            return clean_text(match["name"])
    return None
