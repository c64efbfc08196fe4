"""Descriptions keep their writer's line breaks, and their web addresses are links in HTML.

Text keeps each line (a blank line between paragraphs), HTML as paragraphs and `<br>`;
Markdown keeps each value on one line, as before. In HTML an http(s) address becomes a
link, escaped and opened without handing the page over, and nothing else does
(`javascript:` stays text). Elsewhere addresses are plain text, as every value is.
"""

from __future__ import annotations

import pytest

from heritage_registry import Registry
from heritage_registry.summary import SiteSummary, build_summary, render

SITE_DESCRIPTION = (
    "The ruins of the old town.\n"
    "Survey notes: https://example.org/survey_(2015)?a=1&b=<2>.\n"
    "\n"
    "  A second   paragraph, javascript:alert(1) and (see http://example.com/x).  \n"
)
EVENT_DESCRIPTION = 'Fire in the north gate.\nReported at https://example.org/r"onclick=x'


@pytest.fixture
def described(registry: Registry) -> SiteSummary:
    registry.add_site(
        {
            "slug": "tell-x", "name": "Tell X", "country": "IQ",
            "kind": "archaeological_site", "description": SITE_DESCRIPTION,
        }
    )  # fmt: skip
    registry.add_monument(site="tell-x", slug="gate", name="North gate", kind="city_wall")
    registry.add_source(key="src-a", title="Report A", publisher="Agency A", published="2016")
    registry.add_event(
        site="tell-x", monument="gate", cause="fire", damage_level="minor", occurred="2015",
        description=EVENT_DESCRIPTION, source="src-a", quote="A fire.",
    )  # fmt: skip
    return build_summary(registry, "tell-x")


def test_text_keeps_the_line_breaks_of_descriptions(described: SiteSummary) -> None:
    text = render(described, "text")
    assert (
        "\n\nThe ruins of the old town.\n"
        "Survey notes: https://example.org/survey_(2015)?a=1&b=<2>.\n"
        "\n"
        "A second paragraph, javascript:alert(1) and (see http://example.com/x).\n"
    ) in text
    assert (
        "    Fire in the north gate.\n"
        '    Reported at https://example.org/r"onclick=x\n'
    ) in text  # fmt: skip


def test_html_keeps_line_breaks_and_links_web_addresses(described: SiteSummary) -> None:
    html = render(described, "html")
    assert (
        '<div class="description"><p>The ruins of the old town.<br>Survey notes: '
        '<a href="https://example.org/survey_(2015)?a=1&amp;b=" rel="noopener noreferrer '
        'nofollow">https://example.org/survey_(2015)?a=1&amp;b=</a>&lt;2&gt;.</p>'
        "<p>A second paragraph, javascript:alert(1) and (see "
        '<a href="http://example.com/x" rel="noopener noreferrer nofollow">'
        "http://example.com/x</a>).</p></div>"
    ) in html
    assert (
        '<div class="description"><p>Fire in the north gate.<br>Reported at '
        '<a href="https://example.org/r" rel="noopener noreferrer nofollow">'
        "https://example.org/r</a>&#34;onclick=x</p></div>"
    ) in html
    assert 'href="javascript' not in html
    assert 'onclick=x"' not in html


def test_markdown_keeps_descriptions_on_one_line_with_addresses_as_text(
    described: SiteSummary,
) -> None:
    markdown = render(described, "markdown")
    assert (
        "\n\nThe ruins of the old town. "
        "Survey notes: https://example.org/survey\\_(2015)?a=1&b=\\<2>. "
        "A second paragraph, javascript:alert(1) and (see http://example.com/x).\n"
    ) in markdown
    assert '\n\nFire in the north gate. Reported at https://example.org/r"onclick=x\n' in markdown
