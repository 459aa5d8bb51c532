"""What every region field shows for a name that fits no region or several (the resolver of
``omk.services.places``): the page itself, answered with 422, with a German message at the
field, the name as typed kept, and for several regions the ones it may mean as links."""

from __future__ import annotations

import html
import re

from flask.testing import FlaskClient

_OFFERED = re.compile(r'<li><a href="([^"]+)">([^<]+)</a></li>')


def unclear_region(
    client: FlaskClient, url: str, typed: str, *, several: bool = False
) -> tuple[str, dict[str, str]]:
    """GET ``url`` whose region field holds ``typed``, fitting no region (or ``several``):
    the page's text (unescaped) and its links in list items, name → link (the regions
    offered among them)."""
    answer = client.get(url)
    assert answer.status_code == 422, url
    page = html.unescape(answer.text)
    offered = {name: link for link, name in _OFFERED.findall(page)}
    if several:
        assert f"„{typed}“ passt auf mehrere Regionen. Meinten Sie:" in page, url
    else:
        assert f"„{typed}“ passt auf keine Region" in page, url
        assert f'value="{typed}"' in page and 'aria-invalid="true"' in page, url
    return page, offered
