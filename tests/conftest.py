"""Fixtures shared by the browser tests (tests/test_browser.py, tests/test_docs_site.py).

One headless Chromium for the whole run: Playwright's sync API runs one instance per thread, so two session-wide
browsers, one per test file, cannot both be started.
"""
import os
from pathlib import Path
import pytest
from tests import labkit

def unavailable(why):
    "Skip for a missing prerequisite, except under CI=true, where it is a failure"
    if os.environ.get('CI', '').lower() == 'true': pytest.fail(f"{why}; under CI=true the browser tests must run")
    pytest.skip(why)

@pytest.fixture(scope='session')
def browser():
    if not Path(labkit.CHROMIUM).exists(): unavailable(f"no Chromium at {labkit.CHROMIUM} (apt-get install chromium)")
    try: import playwright.sync_api  # noqa: F401
    except ImportError: unavailable("the playwright Python package is not installed")
    with labkit.chromium() as b: yield b
