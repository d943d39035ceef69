"""Every environment setting the code reads is in the README's settings table."""

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
# env_str("NAME", ...), env_int(...), os.environ.get("NAME"), os.environ["NAME"], ${NAME:-...} in shell.
READ = re.compile(
    r"""(?:env_\w+\(\s*|environ(?:\.get)?[\[(]\s*)["']([A-Z][A-Z0-9_]+)["']|\$\{([A-Z][A-Z0-9_]+)[:}?-]"""
)
# Read by the libraries or the shell, not settings of this server.
NOT_SETTINGS = {"DJANGO_SETTINGS_MODULE", "PYTHON", "ENTRYPOINT_DRY_RUN", "PATH", "HOME", "CI", "PYTHONUNBUFFERED"}


def settings_read_by_the_code() -> set[str]:
    files = [*ROOT.joinpath("agentplatform").rglob("*.py"), *ROOT.joinpath("apps").rglob("*.py")]
    files += [*ROOT.joinpath("docker").glob("*.sh"), ROOT / "docker-compose.yml"]
    names: set[str] = set()
    for path in files:
        for match in READ.finditer(path.read_text()):
            names.add(match.group(1) or match.group(2))
    return names - NOT_SETTINGS


def settings_in_the_readme() -> set[str]:
    text = (ROOT / "README.md").read_text()
    table = text[text.index("## Settings") :]
    table = table[: table.index("\n## ", 1)]
    return set(re.findall(r"`([A-Z][A-Z0-9_]+)`", table))


def test_every_setting_read_by_the_code_is_documented() -> None:
    read = settings_read_by_the_code()
    assert len(read) > 30, read  # the pattern still finds the settings
    missing = sorted(read - settings_in_the_readme())
    assert not missing, f"settings missing from the README's table: {missing}"
