"""Every timestamp format listed in ../shared/reference/cms-families.md, and the bad ones."""

from datetime import datetime

import pytest

from newsbot.dates import KST, DateParseError, parse_kst, to_iso

NOW = datetime(2026, 11, 22, 12, 0, tzinfo=KST)


@pytest.mark.parametrize(
    "text, expected",
    [
        ("기사등록 2024-08-06 07:38:57", "2024-08-06T07:38:57+09:00"),
        ("등록 2025-09-19 09:16:41", "2025-09-19T09:16:41+09:00"),
        ("입력 : 2024/04/08 [12:51]", "2024-04-08T12:51:00+09:00"),
        ("기사입력 2022/04/18 [22:47]", "2022-04-18T22:47:00+09:00"),
        ("기사입력: 2012/08/02 [10:36]", "2012-08-02T10:36:00+09:00"),
        ("기사승인 : 2024-07-10 08:15:43", "2024-07-10T08:15:43+09:00"),
        ("최선경 기자 / 기사승인 : 2024-07-10 08:15:43", "2024-07-10T08:15:43+09:00"),
        ("작성일 21-07-17 13:33", "2021-07-17T13:33:00+09:00"),
        ("입력 2024.01.01 12:00", "2024-01-01T12:00:00+09:00"),
        ("승인 2019.11.21 10:10", "2019-11-21T10:10:00+09:00"),
        ("2024-07-10T08:15:43+09:00", "2024-07-10T08:15:43+09:00"),
        ("2024-07-09T23:15:43Z", "2024-07-09T23:15:43+00:00"),
        ("입력 2024.05.01 오후 3:12", "2024-05-01T15:12:00+09:00"),
        ("입력 2024.05.01 오전 12:05", "2024-05-01T00:05:00+09:00"),
        ("입력 2024.05.01 오후 12:05", "2024-05-01T12:05:00+09:00"),
        ("이귀선기자 | 2024.04.08 12:51", "2024-04-08T12:51:00+09:00"),
        ("2024년 8월 6일 07시 38분", "2024-08-06T07:38:00+09:00"),
        ("2024-08-06", "2024-08-06T00:00:00+09:00"),
        ("2024-07-10 08:15:43", "2024-07-10T08:15:43+09:00"),  # ND Soft RSS pubDate
        ("Tue, 09 Jul 2024 23:15:43 GMT", "2024-07-09T23:15:43+00:00"),
        ("Wed, 10 Jul 2024 08:15:43 +0900", "2024-07-10T08:15:43+09:00"),
        ("기사등록\u00a02024-08-06\u00a007:38:57", "2024-08-06T07:38:57+09:00"),
    ],
)
def test_formats_parse_to_iso_kst(text, expected):
    assert to_iso(parse_kst(text, now=NOW)) == expected


def test_two_digit_year_is_never_in_the_future():
    assert parse_kst("작성일 99-01-02 03:04", now=NOW).year == 1999
    assert parse_kst("작성일 26-11-22 03:04", now=NOW).year == 2026
    assert parse_kst("작성일 27-01-01 00:00", now=NOW).year == 2027  # within a year: clock skew


@pytest.mark.parametrize(
    "text, reason",
    [
        ("", "empty"),
        (None, "empty"),
        ("기사수정", "no date"),
        ("07-17", "without a year"),
        ("13:33", "without a year"),
        ("2024-13-01 10:00", "impossible"),
        ("2024-02-30", "impossible"),
        ("2024-08-06 25:00", "impossible"),
        ("2024-08-06T99:00:00", "invalid ISO"),
    ],
)
def test_bad_dates_raise_a_clear_error(text, reason):
    with pytest.raises(DateParseError, match=reason):
        parse_kst(text, now=NOW)
