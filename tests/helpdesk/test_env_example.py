import re

from django.conf import settings

ENV_READ = re.compile(
    r"""(?:env_bool|env_list|os\.environ\.get|os\.getenv)\(\s*["']([A-Z][A-Z0-9_]*)["']"""
)


def test_env_example_lists_every_variable_the_settings_read():
    source = (settings.BASE_DIR / "helpdesk" / "settings.py").read_text()
    read = set(ENV_READ.findall(source)) | {"DATABASE_URL"}  # DATABASE_URL: dj_database_url
    documented = set(
        re.findall(
            r"^#?\s*([A-Z][A-Z0-9_]*)=",
            (settings.BASE_DIR / ".env.example").read_text(),
            flags=re.MULTILINE,
        )
    )

    assert read - documented == set()
