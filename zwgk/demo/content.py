"""The demo district's columns and articles (titles, dates, bodies, attachments, planted problems)."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any

from markupsafe import Markup

from zwgk.demo import idcard

if TYPE_CHECKING:
    from zwgk.demo.site import Article, _Builder

DAY = dt.timedelta(days=1)
HORIZON = 400

TOWNS = ("城关街道", "东湖镇", "西山镇", "北庄镇", "南河镇", "桃园镇", "龙泉街道")
TOPICS = (
    "安全生产", "森林防火", "营商环境优化", "乡村振兴", "文明城市创建", "民生实事", "就业帮扶",
    "重点项目建设", "人居环境整治", "食品安全", "秋冬季大气污染防治", "政务服务提质增效", "消防安全",
    "河湖长制", "耕地保护", "社区治理", "养老服务", "校园周边环境整治",
)
NEWS_PATTERNS = (
    "示范区召开{topic}工作推进会",
    "{town}扎实推进{topic}工作",
    "示范区开展{topic}专项行动",
    "区政府常务会议研究部署{topic}工作",
    "{town}召开{topic}工作调度会",
    "示范区{topic}工作取得阶段性成效",
)
NOTICE_PATTERNS = (
    "关于做好{topic}工作的通知",
    "关于开展{topic}专项检查的通知",
    "关于{topic}有关事项的公告",
    "关于征集{topic}意见建议的公告",
)
POLICY_NAMES = (
    "优化营商环境若干措施", "促进就业创业十条措施", "农村人居环境整治提升实施方案", "养老服务体系建设实施方案",
    "安全生产专项整治实施方案", "全民健身实施计划", "城市更新行动方案", "数字政府建设实施方案",
    "乡村振兴重点工作任务", "住房保障工作实施意见", "社会救助体系建设实施方案", "河湖长制工作要点",
)
SURNAMES = "王李张刘陈杨赵黄周吴徐孙马朱胡郭何高林罗"
GIVEN = "华明芳军英秀兰国建平玉桂霞志海"
VILLAGES = ("东村", "西村", "南庄", "北庄", "河口村", "桃园社区", "龙泉社区", "山前村")


def is_workday(day: dt.date) -> bool:
    """Chinese working day (holidays and 调休 via chinesecalendar; weekdays when its data ends)."""
    try:
        import chinese_calendar

        return bool(chinese_calendar.is_workday(day))
    except (ImportError, NotImplementedError):
        return day.weekday() < 5


def workday_on_or_before(day: dt.date) -> dt.date:
    while not is_workday(day):
        day -= DAY
    return day


def workday_on_or_after(day: dt.date) -> dt.date:
    while not is_workday(day):
        day += DAY
    return day


def add_workdays(day: dt.date, n: int) -> dt.date:
    step = DAY if n >= 0 else -DAY
    for _ in range(abs(n)):
        day += step
        while not is_workday(day):
            day += step
    return day


def months_back(today: dt.date, n: int) -> tuple[int, int]:
    index = today.year * 12 + today.month - 1 - n
    return index // 12, index % 12 + 1


def monthly_issues(b: _Builder, today: dt.date, first_year: int, lag: int, days: tuple[int, int]):
    """(data year, data month, publication day) for every issue published by ``today``.

    ``lag`` = months between the data month and the publication month (0: same month).
    """
    out = []
    y, m = first_year, 1
    while (y, m) <= (today.year, today.month):
        py, pm = months_back(dt.date(y, m, 1), -lag)
        day = workday_on_or_after(dt.date(py, pm, b.rng.randint(*days)))
        if day <= today:
            out.append((y, m, day))
        y, m = (y + 1, 1) if m == 12 else (y, m + 1)
    return out


def _paras(b: _Builder, title: str, topic: str, n: int = 3) -> list[str]:
    base = [
        f"近日，{title}。会议传达学习了上级有关文件精神，总结了前一阶段{topic}工作情况，分析了存在的问题，安排部署了下一步重点任务。",
        f"会议强调，各镇街、各部门要提高思想认识，压实工作责任，细化工作措施，确保{topic}各项任务落地见效。",
        f"会议要求，要坚持问题导向，加强督导检查，建立工作台账，对发现的问题立行立改，持续推动{topic}工作高质量发展。",
        f"下一步，示范区将进一步健全{topic}长效机制，强化部门协同，不断提升群众满意度和获得感。",
    ]
    return base[:n]


def _name(b: _Builder) -> str:
    return b.rng.choice(SURNAMES) + "*" + b.rng.choice(GIVEN)


# ----------------------------------------------------------------------------- 区政府办公室 (portal, TRS)


def office_columns(b: _Builder, today: dt.date) -> None:
    from zwgk.demo.site import Column

    # 工作动态 (weekly): planted stale — the newest item is 22+ days old.
    gzdt = b.column(Column("gzdt", "工作动态", "/zwdt/gzdt/index.html", "office", "trs", "工作动态"))
    day = workday_on_or_before(today - 22 * DAY)
    b.site.planted.stale_list_url = gzdt.list_path
    b.site.planted.stale_newest = day
    while day > today - 330 * DAY:
        topic = b.rng.choice(TOPICS)
        title = b.rng.choice(NEWS_PATTERNS).format(topic=topic, town=b.rng.choice(TOWNS))
        paras = _paras(b, title, topic)
        b.add(gzdt, title, day, source="示范区融媒体中心", keywords=topic, body=lambda a, p=paras: b.paragraphs(p))
        day = workday_on_or_before(day - b.rng.randint(2, 5) * DAY)

    # 通知公告: fresh; one article links to a missing attachment (404), one to a removed page (soft 404).
    tzgg = b.column(Column("tzgg", "通知公告", "/zwgk/tzgg/index.html", "office", "trs", "通知公告"))
    day = workday_on_or_before(today - DAY)
    i = 0
    while day > today - HORIZON * DAY:
        topic = b.rng.choice(TOPICS)
        title = "示范区人民政府办公室" + b.rng.choice(NOTICE_PATTERNS).format(topic=topic)
        paras = [
            f"各镇人民政府、街道办事处，区政府各部门：现将{topic}有关事项通知如下。",
            f"一、提高认识。各单位要充分认识做好{topic}工作的重要意义，切实加强组织领导。",
            "二、落实责任。各单位主要负责同志为第一责任人，分管负责同志具体抓落实。",
            "三、按时报送。请各单位于规定时间内将工作开展情况报区政府办公室。",
        ]
        kw: dict[str, Any] = {"source": "示范区人民政府办公室", "keywords": topic}
        if i == 2:
            kw["body"] = _broken_link_body(b, paras)
            kw["title"] = "示范区人民政府办公室关于做好冬季安全生产工作的通知"
        elif i == 4:
            kw["body"] = _soft404_body(b, paras)
            kw["title"] = "示范区人民政府办公室关于调整政务服务事项办理地点的公告"
        else:
            kw["body"] = lambda a, p=paras: b.paragraphs(p)
            kw["title"] = title
        if i == 6:  # the URL carries a later (re)generation date than the publication (real TRS behaviour)
            kw["url_date"] = min(today, day + 12 * DAY)
        b.add(tzgg, kw.pop("title"), day, **kw)
        day = workday_on_or_before(day - b.rng.randint(4, 10) * DAY)
        i += 1

    # 政策文件 (信息公开 table) and 政策解读 (within 3 working days).
    zcwj = b.column(Column("zcwj", "政策文件", "/zwgk/zcwj/index.html", "office", "trs", "政策文件"))
    zcjd = b.column(Column("zcjd", "政策解读", "/zwgk/zcjd/index.html", "office", "trs", "政策解读"))
    day = workday_on_or_before(today - 4 * DAY)
    seq = 0
    names = list(POLICY_NAMES)
    b.rng.shuffle(names)
    while day > today - HORIZON * DAY:
        name = names[seq % len(names)]
        seq += 1
        title = f"示范区人民政府办公室关于印发《示范区{name}》的通知"
        written = add_workdays(day, -b.rng.randint(3, 8))
        number = 40 - seq
        xxgk = {
            "index_no": f"11370499MB{day.year % 100:02d}00001X/{day.year}-{number:05d}",
            "topic": "综合政务",
            "publisher": "示范区人民政府办公室",
            "doc_no": f"示政办发〔{day.year}〕{number}号",
            "written": f"{written:%Y-%m-%d}",
            "published": f"{day:%Y-%m-%d}",
            "validity": "有效",
        }
        paras = [
            "各镇人民政府、街道办事处，区政府各部门：",
            f"《示范区{name}》已经区政府同意，现印发给你们，请认真贯彻执行。",
            "本文件自印发之日起施行，有效期五年。（此件公开发布）",
        ]
        policy = b.add(zcwj, title, day, source="示范区人民政府办公室", xxgk=xxgk, keywords=name,
                       body=lambda a, p=paras: b.paragraphs(p))
        jd_day = add_workdays(day, 1)
        jd_day = jd_day if jd_day <= today else day
        jd_paras = [
            f"一、起草背景。为深入贯彻落实上级决策部署，结合我区实际，区政府办公室起草了《示范区{name}》。",
            "二、主要内容。文件共分为总体要求、重点任务、保障措施三个部分。",
            "三、解读机关及联系方式：示范区人民政府办公室，联系电话：0632-1234567。",
        ]
        b.add(zcjd, f"《示范区{name}》政策解读", jd_day, source="示范区人民政府办公室", keywords=name,
              body=lambda a, p=jd_paras, pol=policy: b.paragraphs(p, [{"href": pol.path, "text": f"原文：{pol.title}"}]))
        day = workday_on_or_before(day - b.rng.randint(20, 35) * DAY)

    # 政府信息公开工作年度报告: the latest report that is due is missing.
    ndbg = b.column(Column("ndbg", "政府信息公开年报", "/zwgk/ndbg/index.html", "office", "trs", "信息公开年报"))
    latest_due = today.year - 1 if today > dt.date(today.year, 3, 31) else today.year - 2
    b.site.planted.missing_annual_report_year = latest_due
    b.site.planted.annual_report_list_url = ndbg.list_path
    carried: list[int] | None = None  # each year's 二、上年结转 is the previous year's 四、结转下年度
    for year in range(latest_due - 3, latest_due):
        day = workday_on_or_before(dt.date(year + 1, 3, b.rng.randint(10, 28)))
        numbers = annual_report_numbers(b, carried)
        carried = numbers["四"][:6]
        b.add(ndbg, f"示范区人民政府{year}年政府信息公开工作年度报告", day, source="示范区人民政府办公室",
              keywords="政府信息公开工作年度报告", body=lambda a, y=year, n=numbers: annual_report_body(b, y, n))


def _broken_link_body(b: _Builder, paras: list[str]):
    def body(a: Article) -> Markup:
        name = f"P0{a.published:%Y%m%d}{a.docid % 1000000:06d}9.docx"
        b.site.planted.broken_link_page = a.path
        b.site.planted.broken_link_target = a.folder + name
        return b.paragraphs(paras, [{"href": "./" + name, "text": "附件：冬季安全生产检查表.docx"}])

    return body


def _soft404_body(b: _Builder, paras: list[str]):
    from zwgk.demo.site import SOFT404_PATH

    def body(a: Article) -> Markup:
        b.site.planted.soft404_page = a.path
        b.site.planted.soft404_target = SOFT404_PATH
        return b.paragraphs(paras, [{"href": SOFT404_PATH, "text": "办事指南（办理地点及时间）"}])

    return body


T3_LABELS: tuple[tuple[tuple[str, ...], str], ...] = (
    (("一、本年新收政府信息公开申请数量",), "一"),
    (("二、上年结转政府信息公开申请数量",), "二"),
    (("三、本年度办理结果", "（一）予以公开"), "三.一"),
    (("三、本年度办理结果", "（二）部分公开（区分处理的，只计这一情形，不计其他情形）"), "三.二"),
    *(
        (("三、本年度办理结果", "（三）不予公开", leaf), f"三.三.{i}")
        for i, leaf in enumerate(
            ("1.属于国家秘密", "2.其他法律行政法规禁止公开", "3.危及“三安全一稳定”", "4.保护第三方合法权益",
             "5.属于三类内部事务信息", "6.属于四类过程性信息", "7.属于行政执法案卷", "8.属于行政查询事项"),
            start=1,
        )
    ),
    *(
        (("三、本年度办理结果", "（四）无法提供", leaf), f"三.四.{i}")
        for i, leaf in enumerate(("1.本机关不掌握相关政府信息", "2.没有现成信息需要另行制作", "3.补正后申请内容仍不明确"), start=1)
    ),
    *(
        (("三、本年度办理结果", "（五）不予处理", leaf), f"三.五.{i}")
        for i, leaf in enumerate(
            ("1.信访举报投诉类申请", "2.重复申请", "3.要求提供公开出版物", "4.无正当理由大量反复申请",
             "5.要求行政机关确认或重新出具已获取信息"),
            start=1,
        )
    ),
    *(
        (("三、本年度办理结果", "（六）其他处理", leaf), f"三.六.{i}")
        for i, leaf in enumerate(
            ("1.申请人无正当理由逾期不补正、行政机关不再处理其政府信息公开申请",
             "2.申请人逾期未按收费通知要求缴纳费用、行政机关不再处理其政府信息公开申请", "3.其他"),
            start=1,
        )
    ),
    (("三、本年度办理结果", "（七）总计"), "三.七"),
    (("四、结转下年度继续办理",), "四"),
)


def annual_report_numbers(b: _Builder, carried_in: list[int] | None = None) -> dict[str, list[int]]:
    """表三 values per row key, 7 columns (6 applicant kinds + 总计), arithmetic consistent.

    ``carried_in``: the previous report's 四、结转下年度 per applicant column (its 二、上年结转).
    """
    outcome_keys = [k for _, k in T3_LABELS if k.startswith("三.") and k != "三.七"]
    values = {k: [0] * 6 for _, k in T3_LABELS}
    for p, (lo, hi) in enumerate(((20, 60), (0, 6), (0, 1), (0, 1), (0, 3), (0, 2))):
        new = b.rng.randint(lo, hi)
        carried = carried_in[p] if carried_in is not None else (b.rng.randint(0, 2) if p == 0 else 0)
        carry_next = min(new + carried, b.rng.randint(0, 2))
        handled = new + carried - carry_next
        values["一"][p], values["二"][p], values["四"][p] = new, carried, carry_next
        weights = {"三.一": 10, "三.二": 3, "三.四.1": 4, "三.五.2": 1, "三.三.4": 1, "三.六.1": 1}
        for _ in range(handled):
            key = b.rng.choices(list(weights), weights=list(weights.values()))[0]
            values[key][p] += 1
        values["三.七"][p] = sum(values[k][p] for k in outcome_keys)
    return {k: v + [sum(v)] for k, v in values.items()}


def annual_report_body(b: _Builder, year: int, numbers: dict[str, list[int]]) -> Markup:
    t3 = [{"labels": labels, "values": numbers[key]} for labels, key in T3_LABELS]
    t4: list[int] = []
    for _ in range(3):
        group = [b.rng.randint(0, 1), 0, 0, b.rng.randint(0, 1)]
        t4 += group + [sum(group)]
    made = b.rng.randint(3, 9)
    t1 = {"made": made, "repealed": b.rng.randint(0, 3), "valid": made + b.rng.randint(20, 40),
          "license": b.rng.randint(3000, 9000), "penalty": b.rng.randint(200, 900),
          "force": b.rng.randint(5, 40), "fees": f"{b.rng.randint(10, 99)}.{b.rng.randint(10, 99)}"}
    html = b.env.get_template("annual_report.html").render(
        year=year, t1=t1, t3=t3, t4=t4, total_public=b.rng.randint(1800, 4200)
    )
    return Markup(html)


# ----------------------------------------------------------------------------- 区民政局 (Hanweb)

DIBAO_HEADER = ["序号", "户主姓名", "身份证号", "所在村（居）", "保障人口", "月保障金（元）"]


def mzj_columns(b: _Builder, today: dt.date) -> None:
    from zwgk.demo.site import Column

    dibao = b.column(Column("dibao", "城乡低保", "/col/col1001/index.html", "mzj", "hanweb", "信息公开目录",
                            hanweb_id=1001, unit_id=4001))
    b.site.planted.dibao_list_url = dibao.list_path
    # Each month's list is published early in the following month. The one due last month
    # (data of the month before) is missing, so nothing at all was published last month.
    ly, lm = months_back(today, 2)
    b.site.planted.missing_dibao_title = f"{ly}年{lm}月城乡低保发放情况"
    b.site.planted.dibao_silent_month = months_back(today, 1)
    issues = [i for i in monthly_issues(b, today, today.year - 4, 1, (5, 12)) if (i[0], i[1]) != (ly, lm)]
    newest = max(issues, key=lambda i: i[2])
    for y, m, day in issues:
        leak = (y, m, day) == newest
        rows = _dibao_rows(b, leak)
        title = f"{y}年{m}月城乡低保发放情况"
        intro = f"根据《社会救助暂行办法》，现将{y}年{m}月城乡最低生活保障金发放情况公示如下（节选）。"
        kw: dict[str, Any] = {
            "source": "区民政局",
            "keywords": "城乡低保",
            "body": lambda a, i=intro, r=rows: b.roster(i, DIBAO_HEADER, r, "公示期7天。监督电话：0632-7654321。"),
        }
        if leak:
            kw["make_attachments"] = lambda a, r=rows: [b.xlsx(a, f"{a.title}花名册.xlsx", DIBAO_HEADER, r)]
        art = b.add(dibao, title, day, **kw)
        if leak:
            b.site.planted.id_leak_number = rows[2][2]
            _track_leak(b, art)

    gaoling = b.column(Column("gaoling", "高龄津贴", "/col/col1002/index.html", "mzj", "hanweb", "信息公开目录",
                              hanweb_id=1002, unit_id=4002))
    for y, m, day in monthly_issues(b, today, today.year - 2, 0, (14, 20)):
        rows = [[n, _name(b), b.rng.randint(80, 101), b.rng.choice(VILLAGES), b.rng.choice((100, 200, 300))]
                for n in range(1, 9)]
        intro = f"现将{y}年{m}月80周岁以上老年人高龄津贴发放情况公示如下（节选）。"
        b.add(gaoling, f"{y}年{m}月高龄津贴发放情况", day, source="区民政局", keywords="高龄津贴",
              body=lambda a, i=intro, r=rows: b.roster(i, ["序号", "姓名", "年龄", "所在村（居）", "发放金额（元）"], r))


def _track_leak(b: _Builder, art: Article) -> None:
    original = art.make_attachments

    def make(a: Article):
        files = original(a) if original else []
        b.site.planted.id_leak_page = a.path
        b.site.planted.id_leak_attachment = files[0].path if files else ""
        return files

    art.make_attachments = make


def _dibao_rows(b: _Builder, leak: bool) -> list[list[Any]]:
    rows = []
    for n in range(1, 9):
        birth = dt.date(b.rng.randint(1940, 1985), b.rng.randint(1, 12), b.rng.randint(1, 28))
        number = idcard.make_id("370499", f"{birth:%Y%m%d}", b.rng.randint(1, 999))
        shown = number if (leak and n == 3) else idcard.mask(number)
        rows.append([n, _name(b), shown, b.rng.choice(VILLAGES), b.rng.randint(1, 4), b.rng.randint(4, 16) * 50])
    return rows


# ----------------------------------------------------------------------------- 区财政局 / 区统计局 / 区发改局 (TRS)


def czj_columns(b: _Builder, today: dt.date) -> None:
    from zwgk.demo.site import Column

    czsz = b.column(Column("czsz", "财政收支", "/bm/czj/czsz/index.html", "czj", "trs", "数据发布"))
    for y, m, day in monthly_issues(b, today, today.year - 2, 1, (15, 22)):
        period = f"{y}年1月" if m == 1 else f"{y}年1-{m}月"
        income = b.rng.randint(800, 1500) * m
        rows = [["一般公共预算收入", income, b.rng.randint(-30, 90) / 10],
                ["其中：税收收入", int(income * 0.72), b.rng.randint(-30, 90) / 10],
                ["一般公共预算支出", int(income * 1.6), b.rng.randint(-30, 90) / 10]]
        paras = [f"{period}，全区一般公共预算收入完成{income}万元。", "全区一般公共预算支出保持平稳，重点支出保障有力。"]
        b.add(czsz, f"{period}全区财政收支情况", day, source="区财政局", keywords="财政收支",
              body=lambda a, p=paras: b.paragraphs(p),
              make_attachments=lambda a, r=rows, pd=period: [
                  b.xlsx(a, f"{pd}财政收支情况表.xlsx", ["项目", "累计完成（万元）", "同比增长（%）"], r)])

    yjs = b.column(Column("yjs", "预决算公开", "/bm/czj/yjs/index.html", "czj", "trs", "数据发布"))
    for year in range(today.year - 3, today.year + 1):
        day = workday_on_or_before(dt.date(year, 2, b.rng.randint(5, 25)))
        if day <= today:
            b.add(yjs, f"示范区{year}年区级预算报告", day, source="区财政局", keywords="预算",
                  body=lambda a, y=year: b.paragraphs([f"示范区{y}年区级一般公共预算、政府性基金预算、国有资本经营预算和社会保险基金预算草案已经区人民代表大会审查批准，现予公开。"]))
        day = workday_on_or_before(dt.date(year, 8, b.rng.randint(10, 28)))
        if day <= today:
            b.add(yjs, f"示范区{year - 1}年区级决算报告", day, source="区财政局", keywords="决算",
                  body=lambda a, y=year: b.paragraphs([f"示范区{y - 1}年区级决算已经区人大常委会审查批准，现予公开。"]))


def tjj_columns(b: _Builder, today: dt.date) -> None:
    from zwgk.demo.site import Column

    tjyb = b.column(Column("tjyb", "统计月报", "/bm/tjj/tjyb/index.html", "tjj", "trs", "数据发布", charset="gbk"))
    b.site.planted.gbk_list_url = tjyb.list_path
    for y, m, day in monthly_issues(b, today, today.year - 2, 1, (12, 20)):
        lines = [
            f"规模以上工业增加值同比增长{b.rng.randint(20, 90) / 10}%。",
            f"固定资产投资同比增长{b.rng.randint(-20, 80) / 10}%。",
            f"社会消费品零售总额{b.rng.randint(20, 60)}.{b.rng.randint(0, 9)}亿元。",
            f"城镇居民人均可支配收入{b.rng.randint(28000, 42000)}元。",
        ]
        b.add(tjyb, f"示范区{y}年{m}月统计月报", day, source="区统计局", keywords="统计月报",
              body=lambda a, ls=lines: b.paragraphs(ls),
              make_attachments=lambda a, ls=lines, yy=y, mm=m: [b.pdf(a, f"示范区{yy}年{mm}月统计月报.pdf", ls)])


def fgj_columns(b: _Builder, today: dt.date) -> None:
    from zwgk.demo.site import Column

    zdxm = b.column(Column("zdxm", "重大建设项目", "/bm/fgj/zdxm/index.html", "fgj", "trs", "数据发布"))
    projects = ["示范区人民医院新院区", "东湖片区污水管网改造", "北庄镇农村供水提升工程", "城关街道老旧小区改造",
                "示范区综合物流园", "西山镇乡村振兴示范片区"]
    for y, m, day in monthly_issues(b, today, today.year - 2, 1, (8, 15)):
        rows = [[p, b.rng.randint(5, 60) * 1000, min(100, m * b.rng.randint(6, 10))] for p in projects]
        b.add(zdxm, f"{y}年{m}月重大建设项目进度表", day, source="区发改局", keywords="重大建设项目",
              body=lambda a, yy=y, mm=m: b.paragraphs([f"现将{yy}年{mm}月全区重大建设项目推进情况公开如下，详见附件。"]),
              make_attachments=lambda a, r=rows: [b.xlsx(a, f"{a.title}.xlsx", ["项目名称", "总投资（万元）", "形象进度（%）"], r)])
