"""Issue 10's acceptance test: a user without the reveal right crawls every page and download they can reach,
the admin included, and for each beneficiary everything read about them (masked numbers, dates, ages, consent
years) is combined into the ID numbers still possible. None may be left with fewer than 1,000.

The count is this test's own arithmetic, independent of `beneficiaries.privacy`: the area code is taken as
known (the address gives it), every character shown in any masked or full number on a page that names the
person is fixed, the birth date ranges over what the pages allow, and the ISO 7064 check character, when shown,
keeps only the numbers it fits.
"""

import datetime as dt
import io
import re
import time
from collections import Counter, deque
from html.parser import HTMLParser
from urllib.parse import urljoin, urlsplit

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from django.core.management import call_command
from django.utils import timezone

from beneficiaries.models import Beneficiary, Consent

pytestmark = pytest.mark.django_db

WEIGHTS = [pow(2, 17 - i, 11) for i in range(17)]
NUMBER_LIKE = re.compile(r"[0-9*X]{18,20}")
AGE = re.compile(r"(\d{1,3})\s*岁")
PER_SHAPE = 8  # pages of one shape (the path with its numbers taken out) beyond the people's own pages
SKIP = ("/accounts/logout", "/i18n/", "/static/", "/admin/logout", "/admin/password_change", "/accounts/password")


class Links(HTMLParser):
    def __init__(self):
        super().__init__()
        self.links: list[str] = []

    def handle_starttag(self, tag, attrs):
        href = dict(attrs).get("href")
        if tag == "a" and href and not href.startswith(("#", "mailto:", "javascript:")):
            self.links.append(href)


def shape(url: str) -> str:
    """Pages of one kind: the path with its numbers taken out (the admin's filter links alone would make
    thousands of query strings)."""
    return re.sub(r"\d+", "N", urlsplit(url).path)


def person_page(url: str) -> bool:
    """Pages that are about one person: every one of them is read, not a sample."""
    path = urlsplit(url).path
    return bool(re.match(r"^/beneficiaries/\d+/$", path) or re.match(r"^/admin/beneficiaries/beneficiary/\d+/", path))


def text_of(response) -> str:
    content_type = response.get("Content-Type", "")
    body = b"".join(response.streaming_content) if response.streaming else response.content
    if "spreadsheetml" in content_type:
        from openpyxl import load_workbook

        book = load_workbook(io.BytesIO(body), read_only=True)
        return "\n".join(
            " ".join("" if value is None else str(value) for value in row)
            for sheet in book.worksheets
            for row in sheet.iter_rows(values_only=True)
        )
    if "wordprocessingml" in content_type:
        from docx import Document

        document = Document(io.BytesIO(body))
        cells = [cell.text for table in document.tables for row in table.rows for cell in row.cells]
        return "\n".join([p.text for p in document.paragraphs] + cells)
    if "text/html" in content_type or "json" in content_type:
        return body.decode()
    return ""


def crawl(client, starts: list[str]) -> dict[str, str]:
    pages: dict[str, str] = {}
    seen_shapes: Counter = Counter()
    queue = deque(starts)
    queued = set(starts)
    while queue:
        url = queue.popleft()
        response = client.get(url)
        if response.status_code != 200:
            continue
        text = text_of(response)
        pages[url] = text
        if "text/html" not in response.get("Content-Type", ""):
            continue
        parser = Links()
        parser.feed(text)
        for href in parser.links:
            target = urljoin(url, href)
            parts = urlsplit(target)
            if parts.netloc not in ("", "testserver") or parts.path.startswith(SKIP):
                continue
            local = parts.path + (f"?{parts.query}" if parts.query else "")
            if person_page(local):
                local = parts.path  # the same page whichever list it was opened from
            if local in queued:
                continue
            if not person_page(local):
                if seen_shapes[shape(local)] >= PER_SHAPE:
                    continue
                seen_shapes[shape(local)] += 1
            queued.add(local)
            queue.append(local)
    return pages


def check_value(first17_sum: int) -> str:
    value = (12 - first17_sum % 11) % 11
    return "X" if value == 10 else str(value)


def candidates(real: str, known: dict[int, str], first: dt.date, last: dt.date) -> int:
    """ID numbers with the real area code that agree with every known character and a birth date in the
    window. Days and sequence numbers are each counted by the residue of their weighted sum mod 11, so the
    work is days + sequences, never their product."""
    area = sum(WEIGHTS[i] * int(real[i]) for i in range(6))
    sequences: Counter = Counter()
    for seq in range(1000):
        digits = f"{seq:03d}"
        if all(known.get(14 + i, d) == d for i, d in enumerate(digits)):
            sequences[sum(WEIGHTS[14 + i] * int(d) for i, d in enumerate(digits)) % 11] += 1
    days: Counter = Counter()
    date_known = any(6 <= i < 14 for i in known)
    day = first
    while day <= last:
        digits = f"{day:%Y%m%d}"
        if not date_known or all(known.get(6 + i, d) == d for i, d in enumerate(digits)):
            days[sum(WEIGHTS[6 + i] * int(d) for i, d in enumerate(digits)) % 11] += 1
        day += dt.timedelta(days=1)
    return sum(
        n_days * n_seqs
        for r_day, n_days in days.items()
        for r_seq, n_seqs in sequences.items()
        if 17 not in known or check_value(area + r_day + r_seq) == known[17]
    )


def what_is_known(person: Beneficiary, texts: list[str], tokens: set[str], today: dt.date):
    known = {i: person.id_number[i] for i in range(6)}  # the address gives the area code
    first, last = dt.date(today.year - 120, 1, 1), today
    birth = person.birth_date
    for token in tokens:
        number = token[:18]
        if len(number) == 18 and all(c in ("*", person.id_number[i]) for i, c in enumerate(number)):
            known.update({i: c for i, c in enumerate(number) if c != "*"})
    for text in texts:
        written = (f"{birth:%Y-%m-%d}", f"{birth:%Y/%m/%d}", f"{birth.year}年{birth.month}月{birth.day}日")
        if any(form in text for form in written):
            first = last = birth
        decade = birth.year // 10 * 10
        if f"{decade}年代" in text or f"{decade}s" in text:
            first, last = max(first, dt.date(decade, 1, 1)), min(last, dt.date(decade + 9, 12, 31))
        age = today.year - birth.year - ((today.month, today.day) < (birth.month, birth.day))
        if str(age) in AGE.findall(text):
            first = max(first, dt.date(today.year - age - 1, today.month, today.day) + dt.timedelta(days=1))
            last = min(last, dt.date(today.year - age, today.month, today.day))
    # A consent given by the person themselves means 14 or older on that day: what the pages show of its date.
    for consent in person.consents.filter(given_by=Consent.GivenBy.PERSON):
        shown = [text for text in texts if str(consent.given_on.year) in text]
        if any(f"{consent.given_on:%Y-%m-%d}" in text for text in shown):
            bound = consent.given_on
        elif shown:
            bound = dt.date(consent.given_on.year, 12, 31)
        else:
            continue
        last = min(last, bound.replace(year=bound.year - 14))
    return known, first, last


@pytest.fixture
def demo():
    call_command("seed_demo", verbosity=0)


def staff_auditor():
    """The demo's leader made staff with every "view" permission: the admin, read-only, without the reveal right."""
    leader = get_user_model().objects.get(username="leader")
    leader.is_staff = True
    leader.save()
    leader.user_permissions.set(Permission.objects.filter(codename__startswith="view_"))
    return get_user_model().objects.get(pk=leader.pk)


def test_nobody_without_the_reveal_right_can_narrow_a_number_below_a_thousand(client, demo):
    user = staff_auditor()
    client.force_login(user)
    started = time.monotonic()
    pages = crawl(client, ["/", "/beneficiaries/", "/dashboard/", "/reports/", "/activities/", "/members/", "/admin/"])
    print(f"crawled {len(pages)} pages in {time.monotonic() - started:.0f} s")
    assert len(pages) > 200, "the crawl should reach the portal and the admin"
    assert any(url.startswith("/admin/beneficiaries/beneficiary/") and "/history/" in url for url in pages)
    assert any(url.startswith("/beneficiaries/") and url.count("/") == 3 for url in pages)
    today = timezone.localdate()
    people = list(Beneficiary.objects.prefetch_related("consents"))
    assert len(people) >= 100
    tokens = {url: set(NUMBER_LIKE.findall(text)) for url, text in pages.items()}
    counts = {}
    for person in people:
        urls = [url for url, text in pages.items() if person.name in text]
        assert urls, f"{person.name}'s page should have been read"
        texts = [pages[url] for url in urls]
        known, first, last = what_is_known(person, texts, set().union(*(tokens[url] for url in urls)), today)
        counts[person.name] = candidates(person.id_number, known, first, last)
    fewest = min(counts, key=counts.get)
    assert counts[fewest] >= 1000, (fewest, counts[fewest])


def test_the_count_finds_what_the_old_display_gave_away():
    """The arithmetic itself: last four and the birth date shown leave about ten numbers (the issue's case);
    last two and the decade leave tens of thousands."""
    real = "11010519731115001X"
    known_old = {i: real[i] for i in [*list(range(6)), 14, 15, 16, 17]}
    birth = dt.date(1973, 11, 15)
    assert candidates(real, known_old, birth, birth) == 1
    known_new = {i: real[i] for i in [*list(range(6)), 16, 17]}
    assert 30_000 <= candidates(real, known_new, dt.date(1970, 1, 1), dt.date(1979, 12, 31)) <= 36_000
    assert candidates(real, {i: real[i] for i in range(6)}, birth, birth) == 1000
