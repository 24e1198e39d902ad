"""A duplicate-request filter that forgets at the end of the process.

Scrapy's ``RFPDupeFilter`` writes every fingerprint to ``JOBDIR/requests.seen`` as it
goes, but the request queue it guards is saved only on a clean close.  After a kill -9
a request can therefore be "seen" yet in no queue, and a resumed run would never fetch
it.  newsbot lets the state store decide what is still needed (articles not recorded,
list pages always re-walked), so the fingerprints only need to live as long as the run.
"""

from __future__ import annotations

from scrapy.dupefilters import RFPDupeFilter


class RunDupeFilter(RFPDupeFilter):
    """``RFPDupeFilter`` without the ``requests.seen`` file, whatever ``JOBDIR`` says."""

    @classmethod
    def from_crawler(cls, crawler):
        return cls(None, crawler.settings.getbool("DUPEFILTER_DEBUG"), fingerprinter=crawler.request_fingerprinter)
