import json

import pytest

from bahagia.errors import BahagiaError
from edge import forms
from tests import samples


def test_dotted_form_fields_become_the_nested_body():
    body = forms.parse_urlencoded(
        b"program=kartu-bahagia&applicant.nik=1571015708850003&applicant.address.rt=3&applicant.address.rw=&consent=on"
    )
    assert body == {
        "program": "kartu-bahagia",
        "applicant": {"nik": "1571015708850003", "address": {"rt": "3"}},
        "consent": "on",
    }


def test_a_form_post_and_the_same_json_give_the_same_body():
    from urllib.parse import urlencode

    form = forms.parse_urlencoded(urlencode(samples.flatten(samples.COMPLAINT)).encode())
    as_json = forms.parse_json(json.dumps(samples.COMPLAINT).encode())
    assert form["location"] == as_json["location"]
    assert form["reporter"] == as_json["reporter"]


def test_json_may_use_dotted_names_too():
    assert forms.parse_json(b'{"applicant.nik": "1", "program": "rumel"}') == {
        "applicant": {"nik": "1"},
        "program": "rumel",
    }


@pytest.mark.parametrize(
    "raw",
    [
        b"a=1&a=2",  # the same field twice
        b"a=1&a.b=2",  # a value and a group at once
        b"a..b=1",
        b"=1",
    ],
)
def test_ambiguous_forms_are_malformed(raw):
    with pytest.raises(BahagiaError) as caught:
        forms.parse_urlencoded(raw)
    assert caught.value.status == 400


def test_thousands_of_fields_are_refused_quickly():
    raw = "&".join(f"f{i}=x" for i in range(5000)).encode()
    with pytest.raises(BahagiaError) as caught:
        forms.parse_urlencoded(raw)
    assert caught.value.code == "too_many_fields"


@pytest.mark.parametrize("raw", [b"\xff\xfe{", b"[1,2]", b"{", b"nul"])
def test_bad_json_is_malformed(raw):
    with pytest.raises(BahagiaError) as caught:
        forms.parse_json(raw)
    assert caught.value.status == 400


def test_deeply_nested_json_is_refused():
    raw = b'{"a":' * 50 + b"1" + b"}" * 50
    with pytest.raises(BahagiaError) as caught:
        forms.parse_json(raw)
    assert caught.value.status == 400


def test_invalid_utf8_in_a_form_is_malformed():
    with pytest.raises(BahagiaError) as caught:
        forms.parse_urlencoded(b"name=%FF%FE")
    assert caught.value.status == 400


def test_multipart_forms_are_read_and_files_refused():
    boundary = "XyZ"
    body = (
        f'--{boundary}\r\nContent-Disposition: form-data; name="category"\r\n\r\naspirasi\r\n'
        f'--{boundary}\r\nContent-Disposition: form-data; name="location.kecamatan"\r\n\r\n15.71.01\r\n'
        f"--{boundary}--\r\n"
    ).encode()
    parsed, from_form = forms.parse_body(f"multipart/form-data; boundary={boundary}", body)
    assert from_form
    assert parsed == {"category": "aspirasi", "location": {"kecamatan": "15.71.01"}}
    with_file = (
        f'--{boundary}\r\nContent-Disposition: form-data; name="f"; filename="a.txt"\r\n'
        f"Content-Type: text/plain\r\n\r\nhello\r\n--{boundary}--\r\n"
    ).encode()
    with pytest.raises(BahagiaError) as caught:
        forms.parse_body(f"multipart/form-data; boundary={boundary}", with_file)
    assert caught.value.status == 415


@pytest.mark.parametrize("content_type", [None, "text/plain", "application/xml"])
def test_other_content_types_are_415(content_type):
    with pytest.raises(BahagiaError) as caught:
        forms.parse_body(content_type, b"x")
    assert caught.value.status == 415
