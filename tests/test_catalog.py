"""The event catalogue page (/catalog on platform): every event with its versions, fields, example,
producer and consumers; and a real browser (headless Chromium from Debian) loads it without console errors.

Chromium may be missing on a developer's machine: the browser test is skipped
then, unless CAUSEWAY_REQUIRE_BROWSER=1 (CI installs chromium and sets it).
"""

from __future__ import annotations

import os
import shutil
from html.parser import HTMLParser

import httpx
import pytest

from causeway import schemas
from causeway import topology as topology_module
from tests.support.api import Api


class Sections(HTMLParser):
    """The catalogue's event sections: data-* attributes and the text inside each."""

    def __init__(self) -> None:
        super().__init__()
        self.sections: dict[str, dict] = {}
        self._current: str | None = None
        self._depth = 0
        self.external: list[str] = []
        self.scripts = 0

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        for name in ("src", "href"):
            value = attributes.get(name) or ""
            if value.startswith(("http://", "https://", "//")):
                self.external.append(value)
        if tag == "script":
            self.scripts += 1
        if tag == "section" and "data-event" in attributes:
            self._current = attributes["data-event"]
            self._depth = 0
            self.sections[self._current] = {**attributes, "text": ""}
        elif tag == "section" and self._current:
            self._depth += 1

    def handle_endtag(self, tag):
        if tag == "section" and self._current:
            if self._depth == 0:
                self._current = None
            else:
                self._depth -= 1

    def handle_data(self, data):
        if self._current:
            self.sections[self._current]["text"] += data


@pytest.fixture(scope="module")
def page(api: Api) -> str:
    response = httpx.get(f"{api.urls['platform']}/catalog", timeout=10)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/html")
    return response.text


def test_every_event_has_its_producer_consumers_versions_fields_and_example(page: str):
    parsed = Sections()
    parsed.feed(page)
    topology = topology_module.default()
    catalogue = schemas.default()
    assert set(topology.event_types) <= set(parsed.sections)
    for event_type in topology.event_types:
        section = parsed.sections[event_type]
        producer = topology.producer_of(event_type).name
        consumers = [c.name for c in topology.consumers_of(event_type)]
        assert section["data-producer"] == producer
        assert section["data-consumers"].split() == consumers
        text = " ".join(section["text"].split())
        assert f"Producer {producer}" in text
        assert ("Consumers " + " ".join(consumers)) in text if consumers else "Consumers none" in text
        for version in catalogue.versions(event_type):
            assert f"v{version}" in text
            schema = catalogue.schema(event_type, version)
            for field in schema["properties"]:
                assert field in text, f"{event_type} v{version} lacks {field}"
            example = catalogue.get(event_type, version).examples[0]
            first_value = next(iter(example.values()))
            assert str(first_value) in text
    order_placed = " ".join(parsed.sections["OrderPlaced"]["text"].split())
    assert "shippingAddress.country" in order_placed and "items[].sku" in order_placed
    assert '"web", "mobile", "api"' in order_placed
    # Self-contained: no script, nothing fetched from elsewhere.
    assert parsed.scripts == 0 and parsed.external == []


# -- in a real browser -------------------------------------------------------------------------

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
CHROMEDRIVER = shutil.which("chromedriver")


@pytest.fixture
def browser():
    if not (CHROMIUM and CHROMEDRIVER):
        install = "apt-get install chromium chromium-driver"
        if os.environ.get("CAUSEWAY_REQUIRE_BROWSER") == "1":
            pytest.fail(f"CAUSEWAY_REQUIRE_BROWSER=1 but chromium or chromedriver is missing ({install})")
        pytest.skip(f"chromium and chromedriver are not installed ({install})")
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for argument in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"):
        options.add_argument(argument)
    options.add_argument("--window-size=1280,2000")
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    # An explicit driver: Selenium Manager never tries to download one.
    driver = webdriver.Chrome(service=Service(executable_path=CHROMEDRIVER), options=options)
    driver.set_page_load_timeout(30)
    try:
        yield driver
    finally:
        driver.quit()


def test_the_catalogue_loads_in_chromium_without_console_errors(api: Api, browser):
    from selenium.webdriver.common.by import By

    browser.get(f"{api.urls['platform']}/catalog")
    assert browser.title == "Causeway event catalogue"
    sections = browser.find_elements(By.CSS_SELECTOR, "section.event")
    assert {s.get_attribute("data-event") for s in sections} >= set(topology_module.default().event_types)
    order_placed = browser.find_element(By.ID, "OrderPlaced")
    assert order_placed.find_element(By.CSS_SELECTOR, ".producer").text == "orders"
    assert order_placed.find_element(By.CSS_SELECTOR, ".consumers").text.split() == ["inventory", "billing"]
    assert order_placed.is_displayed()
    # Following an index link works without any script.
    browser.find_element(By.CSS_SELECTOR, "nav a[href='#StockReleased']").click()
    assert browser.current_url.endswith("#StockReleased")
    problems = [entry for entry in browser.get_log("browser") if entry["level"] in ("SEVERE", "WARNING")]
    assert problems == []
