from typer.testing import CliRunner

from ibd_dtt.cli import app


def test_version_command_prints_the_package_version():
    result = CliRunner().invoke(app, ["version"])
    assert result.exit_code == 0
    assert "ibd-dtt 0.1.0" in result.stdout
