"""Scrapy's downloader, with per-host concurrency enforced when there is no download delay.

Scrapy 2.19's ``Downloader._process_queue`` schedules each download as a coroutine and the
coroutine marks its request "transferring" only when it first runs.  With a download delay
the loop stops after one request, so nothing goes wrong; with no delay (AutoThrottle off,
``DOWNLOAD_DELAY=0``) the loop sees all transfer slots free and starts every queued request
of the slot at once: ten requests to one small outlet where ``CONCURRENT_REQUESTS_PER_DOMAIN``
says two.  Marking the request before scheduling it closes that gap; ``_download`` adds
the same request to the same set again (a no-op) and removes it when done, as before.

Private API, on purpose and in this one place: Scrapy offers no public hook into a slot's
admission loop (the nearest upstream report, scrapy/scrapy#6476, is about bursts with
``DOWNLOAD_DELAY=0``).  ``tests/test_private_apis.py`` fails, naming this file, on a Scrapy
whose ``Downloader._process_queue`` differs from the one this copies;
``tests/test_politeness.py`` checks the behaviour itself.
"""

from __future__ import annotations

from time import monotonic

from scrapy.core.downloader import Downloader, Slot
from scrapy.utils.asyncio import call_later
from scrapy.utils.defer import _schedule_coro


class PoliteDownloader(Downloader):
    def _process_queue(self, slot: Slot) -> None:
        if slot.latercall:
            return  # processing resumes when the delay has passed
        now = monotonic()
        delay = slot.download_delay()
        if delay:
            penalty = delay - now + slot.lastseen
            if penalty > 0:
                slot.latercall = call_later(penalty, self._latercall, slot)
                return
        while slot.queue and slot.free_transfer_slots() > 0:
            slot.lastseen = now
            request, queue_dfd = slot.queue.popleft()
            slot.transferring.add(request)  # the fix: counted before the coroutine starts
            _schedule_coro(self._wait_for_download(slot, request, queue_dfd))
            if delay:  # prevent a burst when a delay is configured (as Scrapy does)
                self._process_queue(slot)
                break
