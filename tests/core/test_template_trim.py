"""The template loaders drop indentation and the line breaks of tag-only lines, and leave everything that is
content as written (helpdesk/core/template_loaders.py); collectstatic minifies only the project's own CSS and JS."""

from __future__ import annotations

from django.template.loader import render_to_string

from helpdesk.core.staticfiles import minify
from helpdesk.core.template_loaders import trim


def test_indentation_and_silent_lines_go_words_stay_apart() -> None:
    source = "<ul>\n    {% for x in xs %}\n    <li>{{ x }} dan\n        lagi</li>\n    {% endfor %}\n</ul>\n"
    assert trim(source) == "<ul>\n{% for x in xs %}<li>{{ x }} dan\nlagi</li>\n{% endfor %}</ul>\n"


def test_pre_textarea_and_blocktranslate_keep_their_whitespace() -> None:
    kept = ("<pre>\n    kode\n</pre>", "<textarea name=b>\n  isi\n</textarea>",
            "{% blocktranslate %}Halo\n    {{ nama }}{% endblocktranslate %}")
    for block in kept:
        assert trim(f"<div>\n    {block}\n</div>") == f"<div>\n{block}\n</div>"


def test_a_rendered_page_reads_the_same() -> None:
    html = render_to_string("core/search_box.html", {"q": "gagal  impor"})
    assert 'value="gagal  impor"' in html and "\n    " not in html


def test_minify_keeps_behaviour_and_knows_only_css_and_js() -> None:
    assert minify("a.css", "a {\n  color: red;\n}\n/* note */\n") == "a{color:red}\n"
    assert minify("a.js", "// note\nconst a = 1;\n\nfunction f(x) {\n  return x + a;\n}\n") == \
        "const a=1;function f(x){return x+a;}\n"
    assert minify("a.html", "<p> x </p>") is None
