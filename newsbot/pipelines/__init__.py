"""Item pipelines, each doing one thing, in this order (see ``ITEM_PIPELINES`` in settings):

100 :class:`~newsbot.pipelines.canonical.CanonicalUrlPipeline`  - one URL per article
300 :class:`~newsbot.pipelines.normalize.NormalizePipeline`      - clean text, ISO timestamps
310 :class:`~newsbot.pipelines.daterange.DateRangePipeline`      - a backfill keeps only its since..until
350 :class:`~newsbot.pipelines.identity.IdentityPipeline`      - stable id and content digest
360 :class:`~newsbot.pipelines.dedupe.DedupePipeline`            - new / updated (next version) / duplicate
400 :class:`~newsbot.pipelines.warnings.ExtractionWarningsPipeline` - count and log missing fields
450 :class:`~newsbot.pipelines.enrich.EnrichPipeline`            - regions, topics, schema_version
800 :class:`~newsbot.pipelines.jsonlines.JsonLinesPipeline`      - write the record
850 :class:`~newsbot.pipelines.latest.LatestViewPipeline`        - newest version per article (latest view)
900 :class:`~newsbot.pipelines.state.RecordedStatePipeline`      - mark recorded, only once written

A new output is a new pipeline between 400 and 900.
"""
