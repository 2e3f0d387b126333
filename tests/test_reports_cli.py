"""`zwgk report` and `zwgk outbox` from the command line."""

from __future__ import annotations

from pathlib import Path

from reports_dataset import populate, write_settings

from zwgk.cli import main


def test_report_command_writes_prints_and_sends(tmp_path: Path, capsys) -> None:
    config = write_settings(tmp_path)
    populate(config).dispose()
    settings = str(tmp_path / "settings.toml")

    assert main(["report", "department", "--department", "mzj", "--as-of", "2026-11-20", "--config", settings]) == 0
    out = capsys.readouterr().out.split()
    folder = tmp_path / "reports" / "2026-11-20"
    assert out == [str(folder / f"department-mzj.{ext}") for ext in ("html", "txt", "xlsx")]

    assert main(["outbox", "--config", settings]) == 0
    listing = capsys.readouterr().out
    assert listing.count("待发送") == 2 and "mzj@example.gov.cn" in listing and "mzj-2@example.gov.cn" in listing

    assert main(["report", "daily", "--as-of", "2026-11-20", "--config", settings, "--send"]) == 0
    out = capsys.readouterr().out
    assert str(folder / "daily.html") in out
    assert "写入文件 4 封" in out  # mail disabled: the two queued department mails and the two daily ones
    assert len(list((tmp_path / "outbox" / "2026-11-20").glob("*.eml"))) == 4

    assert main(["outbox", "--flush", "--config", settings]) == 0
    out = capsys.readouterr().out
    assert "写入文件 0 封" in out and out.count("已发送") == 4 and "待发送" not in out


def test_report_command_usage_errors(tmp_path: Path, capsys) -> None:
    write_settings(tmp_path)
    settings = str(tmp_path / "settings.toml")
    assert main(["report", "daily", "--department", "mzj", "--config", settings]) == 2
    assert main(["report", "department", "--department", "nope", "--config", settings]) == 2
    assert "未知部门" in capsys.readouterr().err
    try:
        main(["report", "monthly", "--config", settings])
    except SystemExit as exc:
        assert exc.code == 2
    else:
        raise AssertionError("an unknown report kind must be a usage error")
