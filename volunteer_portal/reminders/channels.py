"""The ways out of the portal: email (Django's email framework) and a branch's 企业微信 group robot (a markdown
message POSTed to its webhook with the standard library). Each raises `ChannelError` with a message that is safe
to record and log: never the webhook's address or key."""

import json
import urllib.error
import urllib.request
from urllib.parse import parse_qsl, urlsplit

from django.conf import settings
from django.core.mail import send_mail

WECOM_MAX_BYTES = 4096  # the robot refuses longer markdown content


class ChannelError(Exception):
    pass


def absolute(link: str) -> str:
    return f"{settings.PORTAL_BASE_URL.rstrip('/')}{link}"


def send_email(*, address: str, title: str, body: str, link: str) -> None:
    text = f"{body}\n\n{absolute(link)}\n"
    try:
        send_mail(f"{settings.EMAIL_SUBJECT_PREFIX}{title}", text, None, [address], fail_silently=False)
    except Exception as error:  # SMTP and socket errors have many classes; each is recorded, none stops the run
        raise ChannelError(f"{type(error).__name__}: {error}"[:300]) from None


def markdown(*, title: str, body: str, link: str, open_label: str) -> str:
    """The robot's markdown: the title in bold, each line quoted, the link last; cut to the robot's limit."""
    tail = f"\n[{open_label}]({absolute(link)})"
    lines = [f"**{title}**", *(f"> {line}" for line in body.splitlines() if line.strip())]
    content = "\n".join(lines)
    while len((content + tail).encode()) > WECOM_MAX_BYTES and "\n" in content:
        content = content.rsplit("\n", 1)[0]
    return content + tail


def _scrub(text: str, url: str) -> str:
    key = dict(parse_qsl(urlsplit(url).query)).get("key", "")
    text = text.replace(url, "[webhook]")
    return text.replace(key, "[key]") if key else text


def send_wecom(*, url: str, content: str) -> None:
    payload = json.dumps({"msgtype": "markdown", "markdown": {"content": content}}, ensure_ascii=False).encode()
    # http(s) only: the model's validator refuses any other scheme (file:, ftp:) before a URL is stored.
    headers = {"Content-Type": "application/json; charset=utf-8"}
    request = urllib.request.Request(url, data=payload, method="POST", headers=headers)  # noqa: S310
    try:
        with urllib.request.urlopen(request, timeout=settings.WECOM_TIMEOUT_SECONDS) as response:  # noqa: S310
            answer = response.read(10_000)
    except urllib.error.HTTPError as error:
        raise ChannelError(f"HTTP {error.code}") from None
    except (urllib.error.URLError, OSError) as error:  # refused, unreachable, timed out
        reason = getattr(error, "reason", error)
        raise ChannelError(_scrub(f"{type(error).__name__}: {reason}", url)[:300]) from None
    try:
        errcode = json.loads(answer).get("errcode", 0)
    except (ValueError, AttributeError):
        raise ChannelError("the robot's answer was not JSON") from None
    if errcode != 0:
        raise ChannelError(f"errcode {errcode}")  # errmsg may quote the key: not kept
