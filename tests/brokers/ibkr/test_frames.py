"""Frame and value parsing: every frame kind of the protocol, and no input that makes it raise."""

from __future__ import annotations

import json

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from brokers.ibkr.frames import (
    Account,
    Depth,
    ErrorFrame,
    ExecutionRows,
    Frame,
    Heartbeat,
    Ignored,
    Malformed,
    MarketData,
    OrderRows,
    Status,
    SystemHello,
    TicReply,
    parse_frame,
    parse_ladder_price,
    parse_number,
    parse_price,
    parse_size,
    topic_conid,
)

SMD = (
    '{"topic":"smd+265598","conid":265598,"conidEx":"265598","server_id":"q0","_updated":1712596911593,'
    '"6509":"RpB","31":"189.60","84":"189.56","86":"189.61","88":"200","85":"500","7059":"100",'
    '"87":"1,234,500","55":"AAPL"}'
)
json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(),
    lambda inner: st.lists(inner, max_size=5) | st.dictionaries(st.text(max_size=8), inner, max_size=5),
    max_leaves=20,
)
topics = st.sampled_from(["smd+265598", "smd+x", "sbd+DU1+265598", "sbd+", "system", "sts", "tic", "act", "ech+hb"])


def test_market_data_keeps_field_strings_and_drops_the_envelope():
    frame = parse_frame(SMD)
    assert frame == MarketData(
        265598,
        {
            "6509": "RpB",
            "31": "189.60",
            "84": "189.56",
            "86": "189.61",
            "88": "200",
            "85": "500",
            "7059": "100",
            "87": "1,234,500",
            "55": "AAPL",
        },
        1712596911593,
    )


def test_market_data_delta_takes_the_conid_from_the_topic_when_needed():
    assert parse_frame('{"topic":"smd+8314","84":"1.5"}') == MarketData(8314, {"84": "1.5"}, None)
    assert parse_frame('{"topic":"smd+8314","conid":8314,"_updated":"soon"}') == MarketData(8314, {}, None)
    assert parse_frame('{"topic":"smd+8314","conid":8314,"note":1,"84":"1"}') == MarketData(8314, {"84": "1"}, None)
    assert parse_frame('{"topic":"smd+8314","6119":"q0","x":"y"}') == MarketData(8314, {"6119": "q0", "x": "y"}, None)


@pytest.mark.parametrize(
    "text",
    [
        '{"topic":"smd+265598","conid":"not-a-number","31":189.6,"84":null,"_updated":"soon"}',
        '{"topic":"smd+abc","84":"1"}',
        '{"topic":"smd+1","conid":1,"84":null}',
        '{"topic":"sts","args":"authenticated"}',
        '{"topic":"system","hb":"never"}',
        '{"topic":"sbd+DU1","data":[]}',
        '{"topic":"sbd+DU1+x","data":[]}',
        '{"topic":"sbd+DU1+1","data":[1]}',
        '{"topic":"act","args":{"accounts":[1]}}',
        '{"hb":1712596911593,"note":"no topic"}',
        '{"topic":265598}',
        '["a","json","array"]',
        "garbage {not json",
        "",
        "   ",
        '{"topic":"tic"} trailing',
    ],
)
def test_malformed_frames(text):
    assert isinstance(parse_frame(text), Malformed)


def test_every_other_frame_kind():
    assert parse_frame('{"topic":"system","hb":1712596911593}') == Heartbeat(1712596911593)
    assert parse_frame('{"topic":"system","success":"bdtester1","isFT":false,"isPaper":true}') == SystemHello(
        "bdtester1"
    )
    sts = '{"topic":"sts","args":{"authenticated":true,"competing":false,"connected":true,"message":""}}'
    assert parse_frame(sts) == Status(True, False, True, "")
    expired = '{"topic":"sts","args":{"authenticated":false,"connected":true,"fail":"session expired"}}'
    assert parse_frame(expired) == Status(False, False, True, "session expired")
    assert parse_frame('{"topic":"sts","args":{"competing":true}}') == Status(True, True, True, "")
    tic = parse_frame('{"topic":"tic","alive":true,"id":"SECRETCOOKIE","lastAccessed":1712596911593}')
    assert tic == TicReply("tic", True, 1712596911593)
    assert "SECRETCOOKIE" not in repr(tic)
    assert parse_frame('{"topic":"ech+hb","alive":true}') == TicReply("ech+hb", True, None)
    act = '{"topic":"act","args":{"accounts":["DU1234567"],"selectedAccount":"DU1234567","isPaper":true}}'
    assert parse_frame(act) == Account(("DU1234567",), "DU1234567", True)
    limit = '{"topic":"smd+1","error":"market data line limit reached (100 lines)","code":"lines"}'
    assert parse_frame(limit) == ErrorFrame("smd+1", "market data line limit reached (100 lines)", "lines")
    assert parse_frame('{"error":"bad","code":7}') == ErrorFrame("", "bad", "7")
    assert parse_frame('{"topic":"ntf","args":{"text":"hi"}}') == Ignored("ntf")
    assert parse_frame('{"topic":"system","other":1}') == Ignored("system")
    assert parse_frame(b'{"topic":"system","hb":5}') == Heartbeat(5)
    assert parse_frame(' {"topic":"system","hb":5} ') == Heartbeat(5)


def test_depth_frame():
    rows = [
        {"row": 0, "focus": 0, "price": "190.15", "ask": "300"},
        {"row": 1, "focus": 1, "price": "100 @ 190.05", "bid": "500"},
    ]
    frame = parse_frame(json.dumps({"topic": "sbd+DU1234567+265598+NASDAQ", "data": rows}))
    assert frame == Depth("DU1234567", 265598, rows)


def test_order_and_execution_frames():
    delta = {"orderId": 1487000001, "status": "Filled", "filledQuantity": "3.0"}
    assert parse_frame(json.dumps({"topic": "sor", "args": [delta]})) == OrderRows([delta])
    assert parse_frame('{"topic":"sor+123","args":[{"orderId":"7"}]}') == OrderRows([{"orderId": "7"}])
    trade = {"execution_id": "0000e0d5.6576fd38.01.01", "size": 1.0, "price": "190.05"}
    assert parse_frame(json.dumps({"topic": "str", "args": [trade]})) == ExecutionRows([trade])
    assert parse_frame('{"error":"unable to subscribe"}') == ErrorFrame("", "unable to subscribe", "")
    assert parse_frame('{"topic":"sor","error":"unable to subscribe"}') == ErrorFrame("sor", "unable to subscribe", "")
    for bad in (
        '{"topic":"sor","args":"x"}',
        '{"topic":"sor","args":[{"status":"Filled"}]}',
        '{"topic":"sor","args":[{"orderId":1.5}]}',
        '{"topic":"sor","args":[{"orderId":"12a"}]}',
        '{"topic":"sor","args":[7]}',
        '{"topic":"str","args":{"execution_id":"x"}}',
        '{"topic":"str","args":[null]}',
    ):
        assert isinstance(parse_frame(bad), Malformed), bad


def test_topic_conid():
    assert topic_conid("smd+265598") == 265598
    assert topic_conid("sbd+DU1+265598+SMART") == 265598
    assert topic_conid("smd+") is None
    assert topic_conid("sbd+DU1") is None
    assert topic_conid("smd+٣") is None  # a non-ASCII digit is not a conid
    assert topic_conid("tic") is None


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("189.60", (189.6, "")),
        ("C189.60", (189.6, "C")),
        ("H189.60", (189.6, "H")),
        ("1,234.50", (1234.5, "")),
        ("C1,234.50", (1234.5, "C")),
        ("-0.25", (-0.25, "")),
        ("X189.60", None),
        ("C", None),
        ("", None),
        ("nan", None),
        ("inf", None),
        ("CNaN", None),
        ("189.60.1", None),
        (None, None),
    ],
)
def test_parse_price(text, expected):
    assert parse_price(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("500", 500),
        ("1,300", 1300),
        ("1,234,500", 1_234_500),
        ("1.5K", 1500),
        ("2.31M", 2_310_000),
        ("0", 0),
        ("1.5", None),
        ("-3", None),
        ("1,3x0", None),
        ("K", None),
        ("", None),
        ("9" * 30, None),
        ("1e99K", None),
        (None, None),
    ],
)
def test_parse_size(text, expected):
    assert parse_size(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("190.05", (190.05, None)),
        ("100 @ 190.05", (190.05, 100)),
        ("1,200 @ 190.05", (190.05, 1200)),
        ("100@190.05", (190.05, 100)),
        ("x @ 190.05", None),
        ("100 @ ", None),
        ("-1", None),
        ("", None),
        (5, None),
    ],
)
def test_parse_ladder_price(text, expected):
    assert parse_ladder_price(text) == expected


def test_parse_number_rejects_non_finite_and_non_text():
    assert parse_number("1,000.5") == 1000.5
    assert parse_number("1e400") is None
    assert parse_number([","]) is None
    assert parse_number(None) is None


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.text())
def test_fuzz_arbitrary_text_never_raises(text):
    assert isinstance(parse_frame(text), Frame)
    parse_price(text)
    parse_size(text)
    parse_ladder_price(text)


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(json_values)
def test_fuzz_arbitrary_json_never_raises(value):
    assert isinstance(parse_frame(json.dumps(value)), Frame)


members = st.dictionaries(st.text(max_size=6) | st.sampled_from(["conid", "31", "hb", "args", "data"]), json_values)


@settings(max_examples=250, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(topics, members)
def test_fuzz_known_topics_with_arbitrary_members_never_raise(topic, members):
    frame = parse_frame(json.dumps({**members, "topic": topic}))
    assert isinstance(frame, Frame)
    if isinstance(frame, MarketData):
        assert all(type(k) is str and type(v) is str for k, v in frame.fields.items())
        assert not {"topic", "conid", "conidEx", "server_id", "_updated"} & set(frame.fields)


def test_deeply_nested_json_is_malformed_not_a_crash():
    assert isinstance(parse_frame("[" * 100_000 + "]" * 100_000), Malformed)
    assert isinstance(parse_frame('{"topic":"smd+1","84":"' + "9" * 100_000 + '"}'), MarketData)
