"""The crawl's WARC archive: one writer shared by everyone who archives.

:class:`WarcArchive` is an extension, so the components that write records (the capture
middleware, the metadata spider middleware, the browser middleware) all find the same
:class:`~newsbot.warc.writer.RollingWarcWriter` through Scrapy's own lookup
(``crawler.get_extension``).  The writer is opened on the first record and closed, with
its CDXJ index and the digest store, when the spider closes.  ``WARC_ENABLED=0``
disables it (and with it every component that archives).

When the spider opens, before anything is fetched, WARC files that a killed run left
unfinished (``.warc.gz.open``, no live writer) are read into the digest index and then
finished (cut to whole records, indexed, renamed): see :mod:`newsbot.outputfile`.
"""

from __future__ import annotations

from scrapy import signals
from scrapy.exceptions import NotConfigured

import newsbot
from newsbot.component import CrawlerComponent
from newsbot.extensions.manifest import run_manifest
from newsbot.output import file_tag, site_dir, site_of
from newsbot.warc.digests import DigestIndex
from newsbot.warc.writer import RollingWarcWriter, adopt_unfinished_warcs


class WarcArchive(CrawlerComponent):
    def __init__(self, crawler):
        if not crawler.settings.getbool("WARC_ENABLED", True):
            raise NotConfigured
        super().__init__(crawler)
        self._writer: RollingWarcWriter | None = None
        self._digests: DigestIndex | None = None
        crawler.signals.connect(self.spider_opened, signal=signals.spider_opened)
        crawler.signals.connect(self.spider_closed, signal=signals.spider_closed)

    def spider_opened(self, spider) -> None:
        settings = self.crawler.settings
        directory = site_dir(settings, site_of(spider), "warc")
        if settings.getbool("WARC_REVISITS", True):
            self._digests = DigestIndex(directory / "digests.sqlite3")
            # what a killed run wrote but did not index (read within the crawl's record limit)
            self._digests.catch_up(directory, max_size=settings.getint("DOWNLOAD_MAXSIZE"))
        # ... then its unfinished files are finished, so the archive holds only finished files
        for finished in adopt_unfinished_warcs(directory, cdxj=settings.getbool("WARC_CDXJ", True),
                                               max_size=settings.getint("DOWNLOAD_MAXSIZE")):
            run_manifest(self.crawler).adopted(finished)

    @property
    def writer(self) -> RollingWarcWriter:
        """The crawl's writer, opened on first use."""
        if self._writer is None:
            self._writer = self._open()
        return self._writer

    def _open(self) -> RollingWarcWriter:
        settings, spider = self.crawler.settings, self.crawler.spider
        site = site_of(spider)
        manifest = run_manifest(self.crawler)
        return RollingWarcWriter(
            site_dir(settings, site, "warc"),
            site,
            max_size=settings.getint("WARC_MAX_SIZE"),
            compress_level=settings.getint("WARC_COMPRESS_LEVEL"),
            digests=self._digests,
            cdxj=settings.getbool("WARC_CDXJ", True),
            file_tag=file_tag(settings),
            on_finished=manifest.finished,
            warcinfo={
                "software": f"newsbot/{newsbot.__version__}",
                "format": "WARC File Format 1.1",
                "conformsTo": "https://iipc.github.io/warc-specifications/specifications/warc-format/warc-1.1/",
                "isPartOf": site,
                "http-header-user-agent": settings.get("USER_AGENT"),
                "robots": "obey" if settings.getbool("ROBOTSTXT_OBEY") else "ignore",
                # which run wrote the file (its crawl report's run_id): scrapy wacz --run
                "newsbot-run-id": manifest.run_id,
            },
        )

    def spider_closed(self, spider) -> None:
        from newsbot.faults.storage import closing_write_failed, is_storage_error

        if self._writer is not None:
            name = self._writer.path.name if self._writer.path else "the WARC"
            try:
                self._writer.close()
            except Exception as exc:  # a full disk: the WARC stays whole; its index is not made
                if not is_storage_error(exc):
                    raise
                closing_write_failed(self.crawler, f"the CDXJ index of {name} (`cdxj-indexer` rebuilds it; readers "
                                                   f"read the WARC without it)", exc)
        if self._digests is not None:
            try:
                self._digests.close()
            except Exception as exc:
                if not is_storage_error(exc):
                    raise
                closing_write_failed(self.crawler, "the WARC digest index", exc)


def warc_archive(crawler) -> WarcArchive:
    """The crawl's archive extension (``WARC_ENABLED`` on and ``WarcArchive`` in ``EXTENSIONS``)."""
    archive = crawler.get_extension(WarcArchive)
    if archive is None:
        raise NotConfigured("newsbot.warc.archive.WarcArchive is not enabled (WARC_ENABLED=0?)")
    return archive
