"""Hanweb JCMS list plumbing: the <datastore> block in the column page and the dataproxy.jsp answer."""

from __future__ import annotations

from zwgk.demo.model import DemoSite, HanwebColumn, Page

DATAPROXY_PATHS = ("/module/web/jpage/dataproxy.jsp", "/module/jslib/jquery/jpage/dataproxy.jsp")
WEBID = 1
WEBNAME = "示范区人民政府"


def _cdata(fragment: str) -> str:
    return "<![CDATA[" + fragment.replace("]]>", "]]]]><![CDATA[>") + "]]>"


def nextgroup_href(col: HanwebColumn) -> str:
    """The dataproxy template link that Hanweb puts in <nextgroup>."""
    query = (
        f"page=1&appid=1&webid={WEBID}&path=/&columnid={col.column_id}&unitid={col.unit_id}"
        f"&webname={WEBNAME}&permissiontype=0"
    )
    return f"{DATAPROXY_PATHS[0]}?{query}"


def _nextgroup(col: HanwebColumn) -> str:
    return _cdata('<a href="' + nextgroup_href(col) + '"></a>')


def datastore_block(col: HanwebColumn) -> str:
    """The first group of records as the column page embeds it (script type=text/xml)."""
    first = col.records[: col.perpage * col.group_pages]
    records = "\n".join(f"<record>{_cdata(r)}</record>" for r in first)
    return (
        f'<div id="{col.unit_id}"><script type="text/xml"><datastore>\n'
        f"<nextgroup>{_nextgroup(col)}</nextgroup>\n"
        f"<recordset>\n{records}\n</recordset></datastore></script>"
        f'<script language="javascript" src="/module/web/jpage/jpage.js"></script>'
        f"<script>var unitid={col.unit_id}; var totalRecord={len(col.records)}; var perpage={col.perpage};</script>"
        f"</div>"
    )


def _int(params: dict[str, str], name: str, default: int) -> int:
    try:
        return int(params.get(name, default))
    except (TypeError, ValueError):
        return default


def dataproxy_answer(site: DemoSite, params: dict[str, str]) -> Page:
    """POST dataproxy.jsp: records startrecord..endrecord (1-based, inclusive) plus <totalrecord>."""
    col = site.hanweb.get(_int(params, "columnid", -1))
    if col is None:
        body = '<?xml version="1.0" encoding="UTF-8"?>\n<datastore><totalrecord>0</totalrecord><recordset></recordset></datastore>'
        return Page(body=body.encode("utf-8"), content_type="text/xml; charset=utf-8")
    total = len(col.records)
    start = max(1, _int(params, "startrecord", 1))
    end = max(start - 1, _int(params, "endrecord", start + col.perpage * col.group_pages - 1))
    chosen = col.records[start - 1 : end]
    records = "\n".join(f"<record>{_cdata(r)}</record>" for r in chosen)
    body = (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        f"<datastore><nextgroup>{_nextgroup(col)}</nextgroup>"
        f"<recordset>\n{records}\n</recordset><totalrecord>{total}</totalrecord></datastore>"
    )
    return Page(body=body.encode("utf-8"), content_type="text/xml; charset=utf-8")
