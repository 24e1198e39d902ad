"""The archive of record: WARC files written with warcio, and read back for replay.

Writing:

* :mod:`newsbot.warc.writer`   - rolling ``.warc.gz`` files, one gzip member per record, revisits
* :mod:`newsbot.warc.archive`  - the crawl's one writer (an extension every archiving component finds)
* :mod:`newsbot.warc.capture`  - downloader middleware that archives every response as received
* :mod:`newsbot.warc.metadata` - spider middleware: a metadata record per article
* :mod:`newsbot.warc.requisites` - spider middleware: each article's photos, stylesheets, fonts
* :mod:`newsbot.warc.digests`  - payloads already archived (the basis of revisits)
* :mod:`newsbot.warc.handler`  - the HTTP/1.1 download handler keeping the reason phrase

Reading:

* :mod:`newsbot.warc.scan`     - WARC files record by record, surviving damage
* :mod:`newsbot.warc.cdxj`     - the CDXJ index beside each WARC, written and read back
* :mod:`newsbot.warc.index`    - URL -> latest response record across files (replay, re-parse)
* :mod:`newsbot.warc.replay`   - download handler answering requests from archives
"""

#: request/response meta key where the capture puts the WARC record of a response:
#: ``{"filename", "record_id", "offset", "length", "revisit", "date"}`` (read by the spider
#: for the record's WARC pointer and its ``crawled_at``, and by the metadata record); the
#: replay handler puts the record it answered from, with its date
WARC_META_KEY = "newsbot_warc"

#: response flag: the browser middleware archived this rendered page's exchanges itself
#: (newsbot/browser/middleware.py); the capture middleware leaves it alone
BROWSER_ARCHIVED_FLAG = "newsbot_browser_archived"

#: request meta key carrying the status line's reason phrase (set by the live handler and by
#: replay, read by the WARC capture); here, so replay need not import the HTTP/1.1 handler
REASON_META_KEY = "newsbot_http_reason"

#: request meta key marking a page requisite (a photo, stylesheet or font of an article page,
#: newsbot/warc/requisites.py): ``{"kind", "page", "depth"}``; such a request is never an article
REQUISITE_META_KEY = "newsbot_requisite"


def cdxj_path(warc_path):
    """The CDXJ index beside a WARC: ``<name>.warc.gz`` -> ``<name>.cdxj``."""
    name = warc_path.name
    for suffix in (".warc.gz", ".warc"):
        if name.endswith(suffix):
            name = name[: -len(suffix)]
            break
    return warc_path.with_name(name + ".cdxj")


def warc_date_iso(value: str | None) -> str | None:
    """A ``WARC-Date`` (``2024-08-06T01:02:03.456789Z``) as a record's ``crawled_at``:
    ISO 8601 UTC to the second (``2024-08-06T01:02:03+00:00``); None if absent or unreadable."""
    from datetime import datetime, timezone

    if not value:
        return None
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    return moment.astimezone(timezone.utc).replace(microsecond=0).isoformat()
