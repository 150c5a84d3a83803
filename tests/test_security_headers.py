"""Every page carries the content security policy, framing and referrer headers."""

import pytest

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("path", ["/login/", "/", "/assessments/", "/agents/board/", "/reports/"])
def test_pages_carry_the_security_headers(client_for, viewer, path):
    response = client_for(viewer).get(path, follow=True)
    assert response.status_code == 200
    csp = response.headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp
    assert "frame-ancestors 'none'" in csp
    assert "'unsafe-inline'" not in csp.split("script-src")[1].split(";")[0]
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["Referrer-Policy"] == "same-origin"
    assert response.headers["X-Content-Type-Options"] == "nosniff"


def test_no_page_template_has_an_inline_script():
    from pathlib import Path

    root = Path(__file__).resolve().parents[1] / "templates"
    for template in root.rglob("*.html"):
        text = template.read_text()
        for line in text.splitlines():
            if "<script" in line:
                assert "src=" in line, f"inline script in {template}"
            assert " onclick=" not in line, template
            assert "javascript:" not in line, template
