"""企业微信 / 钉钉 robot messages through apprise.

The robot URL (with its secret token) comes from the environment variable named in
``WebhookConfig.url_env``: e.g. ``wecombot://KEY``, ``dingtalk://TOKEN`` or the robots'
own https:// URLs, which apprise recognises. Any other apprise URL (``json://host/``)
works too, which is how the transport is tested against a local server.
"""

from __future__ import annotations

import json
import os

from zwgk.config import WebhookConfig


class WebhookError(Exception):
    pass


def robot_url(hook: WebhookConfig) -> str:
    url = os.environ.get(hook.url_env, "").strip()
    if not url:
        raise WebhookError(f"环境变量 {hook.url_env} 未设置（webhook {hook.id} 的机器人地址）")
    return url


def send(hook: WebhookConfig, payload: bytes) -> None:
    """Post the stored {title, body} summary; raises WebhookError when apprise reports a failure."""
    import apprise

    data = json.loads(payload.decode("utf-8"))
    app = apprise.Apprise()
    if not app.add(robot_url(hook)):
        raise WebhookError(f"环境变量 {hook.url_env} 中的机器人地址无法识别")
    ok = app.notify(body=data["body"], title=data["title"], body_format=apprise.NotifyFormat.TEXT)
    if not ok:
        raise WebhookError(f"webhook {hook.id} 发送失败")
