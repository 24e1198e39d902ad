"""The archive of record: WARC files written with warcio, and read back for replay.

* :mod:`newsbot.warc.writer`  - rolling ``.warc.gz`` files, one gzip member per record
* :mod:`newsbot.warc.capture` - downloader middleware that archives every response as received
* :mod:`newsbot.warc.reader`  - the one path that reads archives (replay and re-parse)
* :mod:`newsbot.warc.replay`  - download handler answering requests from archives
"""
