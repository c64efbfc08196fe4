"""The text summary's line filling gives exactly textwrap's lines, only faster."""

from __future__ import annotations

import textwrap

from hypothesis import given, settings
from hypothesis import strategies as st

from heritage_registry.summary.text import WIDTH, _fill

# Hyphens and an en dash, which textwrap would break at were break_on_hyphens on.
LETTERS = "abcdefghij-\u2013\u00e9\u6f22\u5b57,.;"
words = st.one_of(
    st.text(LETTERS, min_size=1, max_size=12),
    st.text(LETTERS, min_size=13, max_size=250),
)
indents = st.builds(
    lambda spaces, mark: " " * spaces + mark,
    st.sampled_from([0, 2, 4, 6, 19, 21, 30]),
    st.sampled_from(["", "- ", "[12] ", "* "]),
)


@settings(max_examples=500)
@given(
    text=st.lists(words, min_size=1, max_size=60).map(" ".join),
    indent=indents,
    hanging=st.sampled_from([0, 2, 4, 6, 8, 19, 40]).map(lambda n: " " * n),
)
def test_fill_is_textwrap(text: str, indent: str, hanging: str) -> None:
    wrapper = textwrap.TextWrapper(
        width=WIDTH, initial_indent=indent, subsequent_indent=hanging, break_on_hyphens=False
    )
    assert _fill(text, indent, hanging) == wrapper.wrap(text)
