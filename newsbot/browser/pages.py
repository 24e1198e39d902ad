"""Page methods run in the browser before the page is archived."""

from __future__ import annotations


async def click_until_gone(page, selector: str, max_clicks: int, timeout_ms: float) -> int:
    """Press a "더보기" (load more) button until it is gone or hidden; returns the clicks.

    After each click, wait until the document changed (the new entries arrived), so the
    next click does not race the last one's request.
    """
    clicks = 0
    button = page.locator(selector).first
    while clicks < max_clicks and await button.count() and await button.is_visible():
        size = await page.evaluate("document.body.innerHTML.length")
        await button.click(timeout=timeout_ms)
        clicks += 1
        await page.wait_for_function("n => document.body.innerHTML.length !== n", arg=size, timeout=timeout_ms)
        await page.wait_for_load_state("networkidle", timeout=timeout_ms)
    return clicks
