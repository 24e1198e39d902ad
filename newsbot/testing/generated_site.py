"""A generated family-A outlet of any size, rendered on request.

Tests, the crash/resume test, multi-worker runs and benchmarks need a site with
hundreds to tens of thousands of articles.  Nothing is stored: every list page and
article page is rendered from ``(seed, idx, revision)`` when it is requested, so a
50,000-article site costs no memory and the same seed always serves the same bytes.

Layout follows family A's older skin (``/news/list.php?page=N`` newest first, 20 per
page, ``div.basicList``; ``/news/view.php?idx=N`` with ``div.titleWrap``,
``div.registModifyDate``, ``#viewContent``).  All article text is invented from small
word lists here.

::

    site = GeneratedSite(300, seed=7)
    with site.serve() as server:          # a LocalSite on 127.0.0.1, free port
        crawl(..., f"base_url={server.base_url}")
        site.expected(site.newest_idx)   # the record newsbot should produce
    site.publish(5)                       # five newer articles appear on page 1
    site.modify(site.newest_idx)          # new 기사수정 time and an extra paragraph
    site.misdate(1010, datetime(2099, 12, 31, 9, 0, tzinfo=KST))   # the outlet typed a wrong date
"""

from __future__ import annotations

import gzip
import html
import math
import random
import threading
import time
from datetime import datetime, timedelta, timezone
from urllib.parse import parse_qs, urlsplit

from newsbot.testing.localsite import LocalSite, Route

KST = timezone(timedelta(hours=9))

CITIES = ("수원시", "성남시", "용인시", "화성시", "안양시", "하남시", "이천시", "광주시", "오산시", "평택시",
          "김포시", "파주시", "의왕시", "군포시", "여주시", "양평군")
TOPICS = ("청렴 실천 교육", "어르신 무료 급식", "하천 정비 사업", "청년 창업 지원", "버스 노선 개편",
          "도서관 야간 개방", "전통시장 주차장", "미세먼지 저감", "공공 자전거", "아동 돌봄 센터",
          "재난 안전 훈련", "지역 축제 준비", "소상공인 상담", "공원 조명 교체", "평생학습 강좌")
ACTIONS = ("추진", "확대", "점검", "개최", "시행", "완료", "발표", "마무리")
REPORTERS = ("김하늘", "이서준", "박지민", "최유나", "정도윤", "한예린")
SECTIONS = ("m11", "m12", "m13")
SENTENCES = (
    "{city}는 {topic} 계획을 {action}한다고 밝혔다.",
    "이번 {topic}에는 시민 {n}여 명이 참여할 예정이다.",
    "{city} 관계자는 주민 의견을 반영해 {topic}을 꾸준히 보완하겠다고 말했다.",
    "사업비는 모두 {n}억 원으로 시비와 도비가 함께 투입된다.",
    "시는 지난해 결과를 분석해 올해 {topic}의 세부 일정을 새로 정했다.",
    "자세한 내용은 {city} 누리집 공지사항에서 확인할 수 있다.",
    "시의회도 {topic} 관련 조례 개정을 검토하고 있다.",
)


def _format(moment: datetime) -> str:
    return moment.astimezone(KST).strftime("%Y-%m-%d %H:%M:%S")


class GeneratedSite:
    """A deterministic family-A site of ``count`` articles (ids ``first_idx`` upwards)."""

    def __init__(self, count: int = 300, *, seed: int = 0, per_page: int = 20, first_idx: int = 1001,
                 newest: datetime = datetime(2024, 6, 28, 18, 0, tzinfo=KST),
                 spacing: timedelta = timedelta(hours=5), delay: float = 0.0, gzip_pages: bool = True,
                 past_the_end: str = "empty"):
        if count < 0 or per_page < 1:
            raise ValueError("count must be >= 0 and per_page >= 1")
        self.seed = seed
        self.per_page = per_page
        self.first_idx = first_idx
        self.newest_idx = first_idx + count - 1
        self.spacing = spacing
        self.delay = delay            # seconds each response waits: makes a crawl slow enough to interrupt
        self.gzip_pages = gzip_pages  # Content-Encoding: gzip when the client accepts it, as real outlets do
        # What a list page number past the end shows: "empty" (a list with no entries) or
        # "last" (the last page again, as many PHP CMSes answer any page number too high)
        self.past_the_end = past_the_end
        # Every response waits until this is set: a test opens the site only once all its
        # clients are up (three cluster workers must all be in the run before it can end).
        self.gate = threading.Event()
        self.gate.set()
        self._anchor_idx = self.newest_idx
        self._anchor_time = newest
        self._revisions: dict[int, int] = {}
        self._misdated: dict[int, datetime] = {}
        self._lock = threading.Lock()

    # -- the site's content ----------------------------------------------------
    @property
    def count(self) -> int:
        return self.newest_idx - self.first_idx + 1

    def article_ids(self) -> range:
        """Every idx, oldest first."""
        return range(self.first_idx, self.newest_idx + 1)

    def _rng(self, idx: int) -> random.Random:
        return random.Random(f"{self.seed}:{idx}")

    def published(self, idx: int) -> datetime:
        if idx in self._misdated:
            return self._misdated[idx]
        # Evenly spaced, minus a per-article jitter smaller than the spacing: strictly
        # increasing with idx, as a CMS's auto-increment id is.
        jitter = self._rng(idx).randrange(int(self.spacing.total_seconds() // 2))
        moment = self._anchor_time + (idx - self._anchor_idx) * self.spacing - timedelta(seconds=jitter)
        return moment.replace(microsecond=0)

    def revision(self, idx: int) -> int:
        return self._revisions.get(idx, 0)

    def publish(self, count: int = 1) -> list[int]:
        """``count`` newer articles appear at the top of page 1; returns their ids."""
        with self._lock:
            start = self.newest_idx + 1
            self.newest_idx += count
        return list(range(start, start + count))

    def misdate(self, idx: int, moment: datetime) -> None:
        """The outlet prints ``moment`` as ``idx``'s date (on the list and the article), where it
        stays in id order: a typo'd year, a CMS default of 2099-12-31."""
        self._misdated[idx] = moment

    def modify(self, idx: int) -> None:
        """The outlet edits an article: a later 기사수정 time and one more paragraph."""
        if not self.first_idx <= idx <= self.newest_idx:
            raise KeyError(idx)
        with self._lock:
            self._revisions[idx] = self.revision(idx) + 1

    def expected(self, idx: int) -> dict:
        """What newsbot should record for ``idx``: the extracted, normalized fields."""
        rng = random.Random(f"{self.seed}:{idx}:content")
        city, topic, action = rng.choice(CITIES), rng.choice(TOPICS), rng.choice(ACTIONS)
        author = rng.choice(REPORTERS) if rng.random() < 0.85 else None
        section = rng.choice(SECTIONS)
        published = self.published(idx)
        modified = published + timedelta(minutes=rng.randrange(10, 600)) if rng.random() < 0.3 else None
        words = {"city": city, "topic": topic, "action": action}
        paragraphs = [
            rng.choice(SENTENCES).format(n=rng.randrange(2, 90), **words) for _ in range(rng.randrange(3, 7))
        ]
        has_photo = rng.random() < 0.4
        caption = f"{city} {topic} 현장 모습." if has_photo else None
        revision = self.revision(idx)
        if revision:
            modified = published + timedelta(hours=6 * revision)
            paragraphs.append(f"(추가) {city}는 {revision}차 후속 조치를 내놓았다.")
        return {
            "article_id": str(idx),
            "title": f"{city}, {topic} {action}",
            "author": author,
            "section": section,
            "published_at": published.isoformat(),
            "modified_at": modified.isoformat() if modified else None,
            "body": "\n".join(paragraphs),
            "captions": [caption] if caption else [],
            "image_path": f"/data/news/{published:%Y/%m/%d}/{idx}_1.jpg" if has_photo else None,
        }

    # -- pages -------------------------------------------------------------------
    @property
    def page_count(self) -> int:
        return max(1, math.ceil(self.count / self.per_page))

    def page_ids(self, page: int) -> list[int]:
        """Article ids on list page ``page`` (1-based), newest first."""
        top = self.newest_idx - (page - 1) * self.per_page
        return [i for i in range(top, top - self.per_page, -1) if i >= self.first_idx] if page >= 1 else []

    def list_html(self, page: int, ids: list[int] | None = None) -> str:
        """List page ``page``; with ``ids``, those entries under page ``page``'s paging."""
        items = []
        for idx in self.page_ids(page) if ids is None else ids:
            fields = self.expected(idx)
            title = html.escape(fields["title"])
            items.append(
                f'  <li>\n    <dl>\n'
                f'      <dt class="title"><a href="/news/view.php?idx={idx}&mcode={fields["section"]}">{title}</a></dt>\n'
                f'      <dd class="content">{title} 관련 기사 요약입니다.</dd>\n'
                f'      <dd class="registDate">{self.published(idx):%Y-%m-%d}</dd>\n'
                f'    </dl>\n  </li>'
            )
        first = max(1, page - 4)
        paging = " ".join(
            f'<a href="/news/list.php?page={p}">{p}</a>' if p != page else f"<strong>{p}</strong>"
            for p in range(first, min(self.page_count, first + 9) + 1)
        )
        most_read = [i for i in (self.newest_idx - 3, self.first_idx) if i >= self.first_idx]
        aside = "".join(f'<li><a href="/news/view.php?idx={i}">{html.escape(self.expected(i)["title"])}</a></li>'
                        for i in most_read)
        return (
            '<!DOCTYPE html>\n<html lang="ko"><head><meta charset="utf-8"><title>전체기사 - 생성뉴스</title></head>\n'
            '<body>\n<div id="header"><h1 class="logo"><a href="/">생성뉴스</a></h1></div>\n'
            '<div id="container">\n<div class="basicList">\n<ul>\n' + "\n".join(items) + "\n</ul>\n</div>\n"
            f'<div class="paging">{paging}</div>\n</div>\n'
            f'<div id="aside"><div class="mostView"><h3>많이 본 뉴스</h3><ol>{aside}</ol></div></div>\n'
            "</body></html>\n"
        )

    def article_html(self, idx: int) -> str:
        fields = self.expected(idx)
        title = html.escape(fields["title"])
        author = f'<div class="else-area"><p>{fields["author"]} 기자</p></div>' if fields["author"] else ""
        dates = f"<li>기사등록 {_format(datetime.fromisoformat(fields['published_at']))}</li>"
        if fields["modified_at"]:
            dates += f"<li>기사수정 {_format(datetime.fromisoformat(fields['modified_at']))}</li>"
        paragraphs = [f"<p>{html.escape(p)}</p>" for p in fields["body"].split("\n")]
        if fields["image_path"]:
            photo = (f'<table id="img_caption" align="center"><tr><td><img src="../../../..{fields["image_path"]}" alt="">'
                     f'</td></tr>\n<tr><td class="caption">{html.escape(fields["captions"][0])}</td></tr></table>')
            paragraphs.insert(1, photo)
        return (
            '<!DOCTYPE html>\n<html lang="ko">\n<head>\n<meta charset="utf-8">\n'
            f"<title>{title} - 생성뉴스</title>\n"
            f'<meta property="og:title" content="{title}">\n</head>\n<body>\n'
            '<div id="header"><h1 class="logo"><a href="/">생성뉴스</a></h1></div>\n'
            '<div id="container">\n<div class="viewTop"><a class="mailSend" href="#">기사 메일전송</a></div>\n'
            f'<div class="titleWrap">\n  <strong>{title}</strong>\n  {author}\n</div>\n'
            f'<div class="registModifyDate"><ul>{dates}</ul></div>\n'
            '<div id="viewContent" class="viewContent">\n  ' + "\n  <p>&nbsp;</p>\n  ".join(paragraphs) + "\n</div>\n"
            '<div class="linkInfo"><p>다른 곳에 퍼가실 때는 아래 고유 링크 주소를 출처로 사용해주세요.</p></div>\n'
            '<div class="commentArea"><h3>나도 한마디</h3></div>\n</div>\n'
            '<div id="footer"><a href="/m/">모바일 버전 바로가기</a><p>생성뉴스 | 등록번호 경기 아00000</p></div>\n'
            "</body>\n</html>\n"
        )

    # -- serving -----------------------------------------------------------------
    def _handler(self, render):
        site = self

        def handle(request):
            site.gate.wait()
            if site.delay:
                time.sleep(site.delay)
            query = parse_qs(urlsplit(request.path).query)
            body = render(query)
            if body is None:
                return request._send(404, b"<html><body>Not Found</body></html>", "text/html", [])
            data, headers = body.encode("utf-8"), []
            if site.gzip_pages and "gzip" in (request.headers.get("Accept-Encoding") or ""):
                data = gzip.compress(data, mtime=0)
                headers.append(("Content-Encoding", "gzip"))
            request._send(200, data, "text/html; charset=utf-8", headers)

        return handle

    def _render_list(self, query) -> str | None:
        try:
            page = int(query.get("page", ["1"])[0])
        except ValueError:
            page = 1
        if self.past_the_end == "last" and page > self.page_count:
            # the last page's entries, under this page number's paging: other bytes, same articles
            return self.list_html(page, self.page_ids(self.page_count))
        return self.list_html(page)  # past the end: a list with no entries, as the CMS shows

    def _render_article(self, query) -> str | None:
        try:
            idx = int(query["idx"][0])
        except (KeyError, ValueError):
            return None
        return self.article_html(idx) if self.first_idx <= idx <= self.newest_idx else None

    def routes(self) -> dict[str, Route]:
        """Routes for :class:`LocalSite`; pages are rendered per request."""
        return {
            "/robots.txt": Route(body=b"User-agent: *\nAllow: /\n", content_type="text/plain"),
            "/news/list.php": Route(handler=self._handler(self._render_list)),
            "/news/view.php": Route(handler=self._handler(self._render_article)),
        }

    def serve(self) -> LocalSite:
        """A LocalSite for this site (use as a context manager)."""
        return LocalSite(self.routes())
