"""The extraction tables in the panel: the administrator edits the keyword table and the
gazetteer as TOML (validated, versioned, audited, reset to the packaged default), everyone
of administration tries a sentence; the JSON API does the same."""

from __future__ import annotations

from callcenter.transcribe.tables import packaged_text
from tests.web.conftest import Panel, login

NOISE = ('\n[[category]]\nname = "noise"\nlabel = "噪音扰民"\npriority = 10\nkeywords = ["噪音"]\n'
         'case = { kind = "complaint" }\n')
BAD = "[[category]]\nname = 'Noise'\nkeywords = ['噪音']\n"
SAID = "楼下装修噪音太大了，电话13909511234"


async def post(panel: Panel, path: str, token: str, **data: str) -> tuple[int, str]:
    response = await panel.client.post(path, data={"csrf_token": token, **data}, allow_redirects=False)
    return response.status, response.headers.get("Location", "") or await response.text()


async def test_the_administrator_saves_an_edited_keyword_table(panel: Panel) -> None:
    _, token = await login(panel.client, "admin")
    page = await (await panel.client.get("/admin/extraction")).text()
    assert "默认词表（随软件发布）" in page and 'name="version" value="0"' in page
    status, location = await post(panel, "/admin/extraction/keywords", token, version="0",
                                  content=packaged_text("keywords") + NOISE)  # fmt: skip
    assert (status, location) == (302, "/admin/extraction?done=saved:keywords#table-keywords")
    page = await (await panel.client.get(location)).text()
    assert "已修改：第 1 版，admin" in page and "噪音扰民" in page
    data = await (await panel.client.get("/api/admin/extraction/keywords")).json()
    assert (data["version"], data["source"], data["updated_by"]) == (1, "edited", "admin")
    assert data["content"].endswith(NOISE)
    _, token = await login(panel.client, "supervisor")
    trail = await (await panel.client.get("/api/audit?entity=extraction_table&id=keywords")).json()
    assert {row["field"] for row in trail["items"]} == {"content", "version"}


async def test_an_invalid_table_is_not_saved_and_the_text_is_kept(panel: Panel) -> None:
    _, token = await login(panel.client, "admin")
    status, page = await post(panel, "/admin/extraction/keywords", token, version="0", content=BAD)
    assert status == 422
    assert "keywords: category[0] (&#39;Noise&#39;): name must be lower-case" in page
    assert BAD.replace("'", "&#39;") + "</textarea>" in page  # the admin's text, kept in the editor
    data = await (await panel.client.get("/api/admin/extraction/keywords")).json()
    assert (data["version"], data["source"]) == (0, "packaged")


async def test_a_stale_edit_is_refused_and_shows_what_is_in_force(panel: Panel) -> None:
    _, token = await login(panel.client, "admin")
    mine = packaged_text("keywords") + NOISE
    assert (await post(panel, "/admin/extraction/keywords", token, version="0", content=mine))[0] == 302
    status, page = await post(panel, "/admin/extraction/keywords", token, version="0", content=mine + "# late\n")
    assert status == 409 and "当前生效的内容（第 1 版）" in page and "# late" in page
    assert 'name="version" value="1"' in page  # saving again overwrites what was shown, knowingly


async def test_reset_goes_back_to_the_packaged_table(panel: Panel) -> None:
    _, token = await login(panel.client, "admin")
    await post(panel, "/admin/extraction/keywords", token, version="0", content=packaged_text("keywords") + NOISE)
    status, location = await post(panel, "/admin/extraction/keywords/reset", token, version="1")
    assert (status, location) == (302, "/admin/extraction?done=reset:keywords#table-keywords")
    data = await (await panel.client.get("/api/admin/extraction/keywords")).json()
    assert (data["version"], data["source"], data["content"]) == (0, "packaged", packaged_text("keywords"))


async def test_try_a_sentence_with_the_tables_in_force_or_the_text_being_edited(panel: Panel) -> None:
    _, token = await login(panel.client, "manager")  # reads administration: may try, may not edit
    page = await (await panel.client.get("/admin/extraction")).text()
    assert "readonly" in page and ">保存<" not in page
    status, page = await post(panel, "/admin/extraction/try", token, text="幸福小区三号楼暖气不热")
    assert status == 200 and "温度不达标" in page and "幸福小区 3号楼" in page and "湖滨" in page
    status, page = await post(panel, "/admin/extraction/try", token, text=SAID, table="keywords", version="0",
                              content=packaged_text("keywords") + NOISE)  # fmt: skip
    assert status == 200 and "噪音扰民" in page and "13909511234" in page and "139 0951 1234" in page and "正在编辑的" in page
    status, page = await post(panel, "/admin/extraction/try", token, text=SAID, table="keywords", version="0",
                              content=BAD)  # fmt: skip
    assert status == 422 and "name must be lower-case" in page


async def test_the_json_api(panel: Panel) -> None:
    _, token = await login(panel.client, "admin")
    headers = {"X-CSRF-Token": token}
    api = "/api/admin/extraction/gazetteer"
    got = await (await panel.client.get(api)).json()
    assert (got["source"], got["version"], got["updated_at"]) == ("packaged", 0, None)
    mine = got["content"].replace("湖滨花园", "湖滨雅苑")
    bad = await panel.client.put(api, json={"content": "[stations]\n", "version": 0}, headers=headers)
    assert bad.status == 422 and (await bad.json())["message"].startswith("gazetteer: [stations]")
    saved = await panel.client.put(api, json={"content": mine, "version": 0}, headers=headers)
    assert saved.status == 200 and (await saved.json())["version"] == 1
    stale = await panel.client.put(api, json={"content": mine, "version": 0}, headers=headers)
    assert stale.status == 409 and (await stale.json())["error"] == "conflict"
    tried = await (await panel.client.post("/api/admin/extraction/try", json={"text": "湖滨雅苑暖气不热"},
                                           headers=headers)).json()  # fmt: skip
    assert tried["extracted"]["address"]["compound"] == "湖滨雅苑" and tried["case"]["kind"] == "temperature"
    assert tried["tables"] == {"keywords": "version 0", "gazetteer": "version 1"}
    tried = await (await panel.client.post("/api/admin/extraction/try", headers=headers, json={
        "text": "噪音", "keywords": packaged_text("keywords") + NOISE})).json()  # fmt: skip
    assert tried["extracted"]["category"] == "noise" and tried["tables"]["keywords"] == "edited text"
    assert (await panel.client.delete(api, json={"version": 0}, headers=headers)).status == 409
    reset = await panel.client.delete(api, json={"version": 1}, headers=headers)
    assert reset.status == 200 and (await reset.json())["source"] == "packaged"
    assert (await panel.client.put(api, json={"content": mine}, headers=headers)).status == 400
    assert (await panel.client.get("/api/admin/extraction/other")).status == 404
