"""availability: home-page probes (V2: 7-day failure ratio ≥ 5% is a veto; IPv6 as info).

mode = "ratio"  failures / probes over the ``window_days`` before the end of as_of; fewer than
                ``min_probes`` probes → unknown.
mode = "ipv6"   the latest probe's IPv6 result (reachable → pass, otherwise warn).
"""

from __future__ import annotations

import datetime as dt

from checks.kinds import register
from checks.kinds.common import get
from checks.model import Context, Outcome, SiteData
from checks.packs import Indicator

KIND = "availability"


@register(
    KIND,
    scopes=("site",),
    params={"mode": ((str,), "ratio"), "window_days": ((int,), 7), "veto_ratio": ((int, float), 0.05),
            "min_probes": ((int,), 20)},
    choices={"mode": ("ratio", "ipv6")},
)
def availability(ind: Indicator, site: SiteData, ctx: Context) -> list[Outcome]:
    """Site reachability from stored probes."""
    params = dict(ind.params)
    end = ctx.cutoff or dt.datetime.combine(ctx.as_of + dt.timedelta(days=1), dt.time())
    if get(KIND, params, "mode") == "ipv6":
        probes = [p for p in site.probes if p.probed_at < end and p.ipv6]
        if not probes:
            return [Outcome("unknown", "尚无 IPv6 探测结果")]
        last = max(probes, key=lambda p: p.probed_at)
        ev = [{"url": last.url, "captured_at": last.probed_at.isoformat(timespec="seconds"), "warc_file": None,
               "warc_offset": None, "warc_length": None}]
        if last.ipv6 == "reachable":
            return [Outcome("pass", "网站支持 IPv6 访问", evidence=ev, details={"ipv6": last.ipv6})]
        text = "网站没有 IPv6 地址（AAAA 记录）" if last.ipv6 == "none" else "网站 IPv6 地址无法访问"
        return [Outcome("warn", text, evidence=ev, details={"ipv6": last.ipv6})]
    days = get(KIND, params, "window_days")
    start = end - dt.timedelta(days=days)
    probes = [p for p in site.probes if start <= p.probed_at < end]
    failed = [p for p in probes if not p.ok]
    ratio = len(failed) / len(probes) if probes else 0.0
    line = float(get(KIND, params, "veto_ratio"))
    reasons: dict[str, int] = {}
    for p in failed:
        reasons[p.reason] = reasons.get(p.reason, 0) + 1
    details = {"probes": len(probes), "failed": len(failed), "ratio": round(ratio, 4), "veto_ratio": line,
               "window_days": days, "reasons": reasons}
    ev = [{"url": p.url, "captured_at": p.probed_at.isoformat(timespec="seconds"), "warc_file": None,
           "warc_offset": None, "warc_length": None} for p in failed[-5:]]
    text = f"近 {days} 天首页探测 {len(probes)} 次，失败 {len(failed)} 次（{ratio:.1%}，否决线 {line:.0%}）"
    if len(probes) < get(KIND, params, "min_probes"):
        if probes and len(failed) / max(len(probes), get(KIND, params, "min_probes")) >= line:
            return [Outcome("fail", text, evidence=ev, details=details)]
        return [Outcome("unknown", text + "，探测次数不足，无法判断", evidence=ev, details=details)]
    status = "fail" if ratio >= line else "pass"
    return [Outcome(status, text, evidence=ev, details=details)]
