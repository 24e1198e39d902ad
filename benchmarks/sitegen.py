"""A synthetic family-A outlet of N articles, served fast from its own process.

Pages follow family A's older skin (``/news/list.php?page=N`` lists of 20,
``/news/view.php?idx=N&mcode=m11`` articles; ``div.titleWrap``, ``div.registModifyDate``,
``div#viewContent``, ``#img_caption``) and carry what real pages carry around the
article: a large menu, banner and script blocks, a most-read sidebar, a latest-news box
and a footer, so every page is 20-80 KB like the outlets' pages.

The text is invented: sentences assembled from a small made-up vocabulary.  Pages are
built from pre-encoded pieces chosen by the article number, so serving a page costs a
few microseconds and the same N always gives byte-identical pages (nothing is held per
article: 50,000 articles cost the server no more memory than 5,000).

The server is a minimal HTTP/1.1 keep-alive server on asyncio, run in a separate process
(``python benchmarks/sitegen.py --articles N``, prints ``PORT <n>``), so its CPU is
not the crawler's and Python's thread-per-connection ``http.server`` is not the limit.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import sys
from datetime import datetime, timedelta

ARTICLES_PER_LIST_PAGE = 20
SECTIONS = ["m11", "m12", "m13", "m14", "m15", "m16"]

# -- invented text ------------------------------------------------------------------------
_PLACES = ["하남시", "오산시", "이천시", "안성시", "광주시", "여주시", "양평군", "가평군", "연천군", "포천시"]
_SUBJECTS = ["시민 참여 예산", "청렴 실천 과제", "어린이 통학로", "노인 일자리", "공공 도서관", "하천 정비",
             "전통시장 주차장", "청년 창업 공간", "생활 체육 시설", "재난 대비 훈련", "마을 버스 노선", "문화 축제"]
_ACTIONS = ["확대한다고 밝혔다", "점검했다고 전했다", "추진하기로 했다", "공유했다고 설명했다",
            "마련했다고 덧붙였다", "논의했다고 말했다", "개선하기로 결정했다", "시작한다고 알렸다"]
_DETAILS = ["담당 부서와 주민 대표가 함께 현장을 둘러봤으며", "올해 예산 가운데 일부를 새로 편성해",
            "지난해 조사 결과를 바탕으로", "관계 기관과 협의를 거쳐", "주민 설명회에서 나온 의견을 반영해",
            "전문가 자문단의 검토를 받아", "시범 운영 기간을 거친 뒤"]
_REPORTERS = ["김하늘", "이도윤", "박서연", "최민준", "정가온", "한지우", "윤태오", "서하린"]


def _sentence(rng: random.Random) -> str:
    return (f"{rng.choice(_PLACES)}가 {rng.choice(_SUBJECTS)} 사업을 {rng.choice(_DETAILS)} "
            f"{rng.choice(_SUBJECTS)} 분야까지 {rng.choice(_ACTIONS)}.")


def _paragraph(rng: random.Random) -> str:
    return " ".join(_sentence(rng) for _ in range(rng.randint(2, 4)))


def _title(idx: int) -> str:
    rng = random.Random(idx)
    return f"{rng.choice(_PLACES)}, {rng.choice(_SUBJECTS)} {rng.choice(['확대', '점검', '추진', '개선'])}… {idx}번째 소식"


# -- page pieces, built once ---------------------------------------------------------------
_rng = random.Random(2024)
_PARAGRAPH_TEXTS = [_paragraph(_rng) for _ in range(97)]
_PARAGRAPHS = [f"  <p>{text}</p>\n  <p>&nbsp;</p>\n".encode() for text in _PARAGRAPH_TEXTS]

_MENU = "".join(
    f'    <li><a href="/news/list.php?mcode={s}">{name}</a><ul class="sub">'
    + "".join(f'<li><a href="/news/list.php?mcode={s}{k:02d}">{name} {k}</a></li>' for k in range(1, 13))
    + "</ul></li>\n"
    for s, name in zip(SECTIONS, ["행정", "의회", "사회", "경제", "문화", "오피니언"])
)
# Analytics/ad script and inline style blocks, as the outlets' pages carry (no article text).
_SCRIPT = "".join(f"var slot_{i} = {{id: 'ad{i:03d}', sizes: [[300, 250], [728, 90]], refresh: {i % 5}}};\n"
                  for i in range(60))
_STYLE = "".join(f".bn{i}{{margin:{i % 7}px;padding:{i % 5}px;background:#{i * 37 % 4096:03x}}}\n" for i in range(120))

HEADER = (
    '<!DOCTYPE html>\n<html lang="ko">\n<head>\n<meta charset="utf-8">\n<title>@TITLE@ - 경기인터넷뉴스</title>\n'
    '<meta property="og:title" content="@TITLE@">\n<meta property="og:site_name" content="경기인터넷뉴스">\n'
    '<link rel="stylesheet" href="/css/style.css">\n<style>\n' + _STYLE + "</style>\n<script>\n" + _SCRIPT
    + "</script>\n</head>\n<body>\n<div id=\"header\">\n  <h1 class=\"logo\"><a href=\"/\">경기인터넷뉴스</a></h1>\n"
    '  <ul class="gnb">\n' + _MENU + "  </ul>\n</div>\n"
)


def _sidebar_item(rng: random.Random, n: int) -> str:
    idx = rng.randint(1, 9999)
    return (f'      <li><a href="/news/view.php?idx={idx}">{_title(idx)}</a> '
            f'{_paragraph(rng)[:160]}..</li>\n')


# Sidebar blocks of 4 sizes: page size varies with the article number, 20-80 KB overall.
_SIDEBARS = []
for size in (4, 18, 38, 64):
    items = "".join(_sidebar_item(_rng, n) for n in range(size))
    latest = "".join(f'    <li><a href="/news/view.php?idx={i}">{_title(i)}</a></li>\n' for i in range(size * 2))
    _SIDEBARS.append((
        '<div id="aside">\n  <div class="mostView">\n    <h3>많이 본 뉴스<a href="/news/list.php?mcode=best">더보기</a></h3>\n'
        f"    <ol>\n{items}    </ol>\n  </div>\n  <div class=\"latest\">\n    <h3>최신뉴스</h3>\n    <ul>\n{latest}"
        "    </ul>\n  </div>\n</div>\n"
    ).encode())
FOOTER = ('<div id="footer"><a href="/m/">모바일 버전 바로가기</a><p>경기인터넷뉴스 | 등록번호 경기 아00000 | '
          '발행인 홍길동 | 편집인 홍길동</p></div>\n</body>\n</html>\n').encode()

_EPOCH = datetime(2024, 1, 1, 6, 0, 0)


def published(idx: int) -> datetime:
    return _EPOCH + timedelta(minutes=37 * idx)


def _paragraph_numbers(idx: int) -> list[int]:
    return [(idx * 7 + k * 13) % len(_PARAGRAPHS) for k in range(4 + idx % 9)]


def expected_body(idx: int) -> list[str]:
    """The paragraphs of article ``idx``'s body, as a reader sees them (no caption, no
    related link): what a body extractor should recover (the benchmark's quality score)."""
    return [_PARAGRAPH_TEXTS[k] for k in _paragraph_numbers(idx)]


def article_page(idx: int) -> bytes:
    title = _title(idx)
    date = published(idx)
    parts = [
        HEADER.replace("@TITLE@", title).encode(),
        b'<div id="container">\n<div class="viewTop">\n  <a class="mailSend" href="#">\xea\xb8\xb0\xec\x82\xac '
        b"\xeb\xa9\x94\xec\x9d\xbc\xec\xa0\x84\xec\x86\xa1</a>\n</div>\n",
        (f'<div class="titleWrap">\n  <strong>{title}</strong>\n  <div class="else-area"><p>'
         f"{_REPORTERS[idx % len(_REPORTERS)]} 기자</p></div>\n</div>\n"
         f'<div class="registModifyDate">\n  <ul>\n    <li>기사등록 {date:%Y-%m-%d %H:%M:%S}</li>\n'
         f"    <li>기사수정 {date + timedelta(hours=2):%Y-%m-%d %H:%M:%S}</li>\n  </ul>\n</div>\n"
         '<div id="viewContent" class="viewContent">\n').encode(),
    ]
    for k, number in enumerate(_paragraph_numbers(idx)):
        parts.append(_PARAGRAPHS[number])
        if k == 1:
            parts.append(
                (f'  <table id="img_caption" align="center"><tr><td><img src="../../../../data/news/'
                 f'{date:%Y/%m/%d}/{idx}_1.jpg" alt=""></td></tr>\n  <tr><td class="caption">'
                 f"{_PLACES[idx % len(_PLACES)]} 관계자들이 현장을 살펴보고 있다.</td></tr></table>\n").encode()
            )
    parts.append(
        (f'  <div class="relation"><a href="/news/view.php?idx={max(idx - 1, 1)}">{_title(max(idx - 1, 1))}</a></div>\n'
         '</div>\n<div class="linkInfo">\n  <p>다른 곳에 퍼가실 때는 아래 고유 링크 주소를 출처로 사용해주세요.</p>\n'
         f'  <p class="permalink">http://www.gginews.kr/news/view.php?idx={idx}</p>\n</div>\n'
         '<div class="commentArea">\n  <h3>나도 한마디</h3>\n  <p>※ 로그인 후 의견을 등록하시면, 자신의 의견을 관리하실 수 있습니다. '
         "0/1000</p>\n</div>\n</div>\n").encode()
    )
    parts.append(_SIDEBARS[(idx * 5) % len(_SIDEBARS)])
    parts.append(FOOTER)
    return b"".join(parts)


def list_page(page: int, articles: int) -> bytes:
    """List page ``page`` (1 = newest); past the last article it lists nothing."""
    newest = articles - (page - 1) * ARTICLES_PER_LIST_PAGE
    entries = []
    for idx in range(newest, max(newest - ARTICLES_PER_LIST_PAGE, 0), -1):
        entries.append(
            f'    <li><dl><dt class="title"><a href="/news/view.php?idx={idx}&amp;mcode=m11">{_title(idx)}</a></dt>'
            f'<dd class="content">{_PARAGRAPHS[idx % len(_PARAGRAPHS)].decode()[4:200]}</dd>'
            f'<dd class="registDate">{published(idx):%Y-%m-%d}</dd></dl></li>\n'
        )
    body = f'<div id="container">\n<div class="basicList">\n  <ul>\n{"".join(entries)}  </ul>\n</div>\n</div>\n'
    return HEADER.replace("@TITLE@", "행정").encode() + body.encode() + _SIDEBARS[1 + page % (len(_SIDEBARS) - 1)] + FOOTER


# -- page requisites (``--requisites``) ---------------------------------------------------
# Every article page already names a photo (``/data/news/<date>/<idx>_1.jpg``) and the
# stylesheet ``/css/style.css``; by default they answer 404, as before.  With
# ``--requisites`` they are served: a photo of PHOTO_BYTES per article (unique bytes per
# article: its own payload digest; opaque bytes, not a decodable JPEG, which is all a
# crawler sees of it), and the site's stylesheet with an @import, a web font and a
# background logo, shared by every page (fetched once per run).
PHOTO_BYTES = 96 * 1024
_BLOBS = [random.Random(seed).randbytes(PHOTO_BYTES) for seed in range(8)]
STYLESHEET = (b'@import url("/css/layout.css");\n'
              b'@font-face { font-family: "Site"; src: url("/fonts/site.woff2") format("woff2"); }\n'
              b'#header { background: url("/img/logo.png") no-repeat; }\n' + _STYLE.encode())
LAYOUT = b"#container { width: 1000px; margin: 0 auto; }\n.titleWrap strong { font-family: Site, sans-serif; }\n"
FONT = random.Random(100).randbytes(48 * 1024)
LOGO = random.Random(101).randbytes(6 * 1024)
_REQUISITES = {b"/css/style.css": (STYLESHEET, b"text/css"), b"/css/layout.css": (LAYOUT, b"text/css"),
               b"/fonts/site.woff2": (FONT, b"font/woff2"), b"/img/logo.png": (LOGO, b"image/png")}


def photo(idx: int) -> bytes:
    return _BLOBS[idx % len(_BLOBS)][:-8] + idx.to_bytes(8, "big")


def route(target: bytes, articles: int, requisites: bool = False) -> tuple[int, bytes, bytes]:
    """(status, body, Content-Type) for a request target; a few string operations, no
    per-article state."""
    path, _, query = target.partition(b"?")
    if requisites:
        if path in _REQUISITES:
            return 200, *_REQUISITES[path]
        if path.startswith(b"/data/news/") and path.endswith(b"_1.jpg"):
            try:
                idx = int(path.rsplit(b"/", 1)[1][:-6])
            except ValueError:
                idx = 0
            if 1 <= idx <= articles:
                return 200, photo(idx), b"image/jpeg"
    status, body = _page(path, query, articles)
    return status, body, b"text/plain" if target == b"/robots.txt" else b"text/html; charset=utf-8"


def _page(path: bytes, query: bytes, articles: int) -> tuple[int, bytes]:
    params = dict(p.partition(b"=")[::2] for p in query.split(b"&") if p)
    try:
        if path == b"/news/view.php":
            idx = int(params.get(b"idx", b"0"))
            if 1 <= idx <= articles:
                return 200, article_page(idx)
        elif path == b"/news/list.php":
            return 200, list_page(int(params.get(b"page", b"1")), articles)
        elif path == b"/robots.txt":
            return 200, b"User-agent: *\nAllow: /\n"
    except ValueError:
        pass
    return 404, b"<html><body>Not Found</body></html>"


async def _serve_connection(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, articles: int,
                            requisites: bool = False) -> None:
    try:
        while True:
            head = await reader.readuntil(b"\r\n\r\n")
            request_line = head.split(b"\r\n", 1)[0]
            method, target, _ = request_line.split(b" ", 2)
            status, body, content_type = route(target, articles, requisites)
            writer.write(
                b"HTTP/1.1 %d %s\r\nContent-Type: %s\r\nContent-Length: %d\r\n\r\n"
                % (status, b"OK" if status == 200 else b"Not Found", content_type, len(body))
            )
            if method != b"HEAD":
                writer.write(body)
            await writer.drain()
    except (asyncio.IncompleteReadError, ConnectionError, ValueError):
        pass
    finally:
        writer.close()


async def serve(articles: int, host: str = "127.0.0.1", port: int = 0, requisites: bool = False) -> None:
    server = await asyncio.start_server(
        lambda r, w: _serve_connection(r, w, articles, requisites), host, port, backlog=256
    )
    print(f"PORT {server.sockets[0].getsockname()[1]}", flush=True)
    async with server:
        await server.serve_forever()


async def serve_many(sites: int, articles: int, host: str = "127.0.0.1", requisites: bool = False) -> None:
    """``sites`` outlets of ``articles`` each, one port apiece (an outlet per host:port, as
    many outlets would be for ``scrapy crawlall``: benchmarks/crawlall_memory.py)."""
    servers = [await asyncio.start_server(lambda r, w: _serve_connection(r, w, articles, requisites), host, 0,
                                          backlog=256)
               for _ in range(sites)]
    print("PORTS " + ",".join(str(s.sockets[0].getsockname()[1]) for s in servers), flush=True)
    await asyncio.gather(*(s.serve_forever() for s in servers))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--articles", type=int, default=5000)
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--requisites", action="store_true",
                        help="serve each article's photo and the site's stylesheet, font and logo (default: 404)")
    parser.add_argument("--sites", type=int, default=0, help="serve this many outlets, one port each (prints PORTS a,b,...)")
    args = parser.parse_args()
    try:
        if args.sites:
            asyncio.run(serve_many(args.sites, args.articles, requisites=args.requisites))
        else:
            asyncio.run(serve(args.articles, port=args.port, requisites=args.requisites))
    except KeyboardInterrupt:
        sys.exit(0)


if __name__ == "__main__":
    main()
