"""The archive of record: WARC files written with warcio, and read back for replay.

* :mod:`newsbot.warc.writer`  - rolling ``.warc.gz`` files, one gzip member per record
* :mod:`newsbot.warc.capture` - downloader middleware that archives every response as received
* :mod:`newsbot.warc.reader`  - the one path that reads archives (replay and re-parse)
* :mod:`newsbot.warc.replay`  - download handler answering requests from archives
"""

#: request meta key carrying the status line's reason phrase (set by the live handler and by
#: replay, read by the WARC capture); here, so replay need not import the HTTP/1.1 handler
REASON_META_KEY = "newsbot_http_reason"


def cdxj_path(warc_path):
    """The CDXJ index beside a WARC: ``<name>.warc.gz`` -> ``<name>.cdxj``."""
    name = warc_path.name
    for suffix in (".warc.gz", ".warc"):
        if name.endswith(suffix):
            name = name[: -len(suffix)]
            break
    return warc_path.with_name(name + ".cdxj")
