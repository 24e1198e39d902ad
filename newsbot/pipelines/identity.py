from newsbot.identity import article_key, content_digest


class IdentityPipeline:
    """Sets ``id`` and ``content_digest`` (see :mod:`newsbot.identity`)."""

    def process_item(self, item):
        item["id"] = article_key(item["site"], item.get("article_id"), item["canonical_url"])
        item["content_digest"] = content_digest(item)
        return item
