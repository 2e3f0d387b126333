"""企业微信 / 钉钉 robot messages through apprise.

The robot URL (with its secret token) comes from the environment variable named in
``WebhookConfig.url_env``: e.g. ``wecombot://KEY``, ``dingtalk://TOKEN`` (with 加签:
``dingtalk://SECRET@TOKEN``) or the URL the robot settings show. apprise recognises the
企业微信 one (``https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=KEY``) but not the 钉钉 one
(``https://oapi.dingtalk.com/robot/send?access_token=TOKEN``), which is rewritten here.
Any other apprise URL (``json://host/``) works too, which is how the transport is tested
against a local server.
"""

from __future__ import annotations

import json
import os
from urllib.parse import parse_qs, urlsplit

from zwgk.config import WebhookConfig


class WebhookError(Exception):
    pass


def robot_url(hook: WebhookConfig) -> str:
    url = os.environ.get(hook.url_env, "").strip()
    if not url:
        raise WebhookError(f"环境变量 {hook.url_env} 未设置（webhook {hook.id} 的机器人地址）")
    parts = urlsplit(url)
    if parts.scheme == "https" and parts.hostname == "oapi.dingtalk.com" and parts.path == "/robot/send":
        query = parse_qs(parts.query)
        token = (query.get("access_token") or [""])[0]
        secret = (query.get("secret") or [""])[0]  # 加签 secret, if appended by the operator
        if not token:
            raise WebhookError(f"环境变量 {hook.url_env} 中的钉钉机器人地址缺少 access_token")
        return f"dingtalk://{secret + '@' if secret else ''}{token}/"
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
