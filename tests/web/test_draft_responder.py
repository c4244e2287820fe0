"""首问责任制 for voicemail drafts (issue 10 point 9): the clerk who confirms a draft is its first
responsible person and registrar, on SQLite and PostgreSQL."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import select

from callcenter.tickets.models import AuditEntry
from tests.web.conftest import Panel, login
from tests.web.test_drafts import add_draft, post


@pytest.mark.parametrize("db_url", ["sqlite", "postgresql"], indirect=True)
async def test_the_confirming_clerk_is_the_first_responsible_person_and_registrar(panel: Panel) -> None:
    """Issue 10 point 9 (首问责任制): not "留言转写 system:voicemail"."""
    case_id = await add_draft(panel)
    _, token = await login(panel.client, "other_clerk")  # extension 8002, 李强
    draft = await (await panel.client.get(f"/api/drafts/{case_id}")).json()
    assert draft["case"]["first_responder"] == "system:voicemail"
    status, data = await post(panel, f"/api/drafts/{case_id}/confirm", token, {"version": draft["case"]["version"]})
    assert status == 200 and (data["first_responder"], data["created_by"]) == ("8002", "other_clerk")
    page = await (await panel.client.get(f"/cases/{case_id}")).text()
    assert "留言转写" not in page.split("首问责任人", 1)[1][:300] and "李强" in page
    async with panel.sessions() as db:
        row = (await db.scalars(select(AuditEntry).where(AuditEntry.entity_id == str(case_id),
                                                         AuditEntry.field == "first_responder"))).one()  # fmt: skip
    assert (json.loads(row.before), json.loads(row.after), row.actor) == ("system:voicemail", "8002", "other_clerk")
