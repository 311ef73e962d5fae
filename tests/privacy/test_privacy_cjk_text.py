"""Sixteenth session: personal data in Chinese, Japanese and Korean text. Street addresses in
those scripts; phone cues in them; and values written against CJK characters with no space
("卡号是4539…谢谢"), which the detection view parts from them (`folding.py`)."""

import json

import pytest

from hybridroute.privacy import PrivacyScanner
from hybridroute.privacy.entities import EntityType
from hybridroute.privacy.folding import fold
from hybridroute.privacy.masking import MaskSession
from hybridroute.privacy.recognizers import StructuredDetector


def _found(scanner: PrivacyScanner, text: str, kind: EntityType) -> list[str]:
    return [text[e.start : e.end] for e in scanner.assess(text).entities if e.type == kind]


@pytest.mark.parametrize(
    ("text", "address"),
    [
        # Chinese: a road and its number, with the building and flat after it.
        ("家庭住址：广州市天河区体育西路191号", "广州市天河区体育西路191号"),
        (
            "我家在北京市海淀区中关村南大街5号院3号楼2单元501室，快递请送到门口",
            "北京市海淀区中关村南大街5号院3号楼2单元501室",
        ),
        (
            "请寄到上海市浦东新区世纪大道100号环球金融中心A座1203室",
            "上海市浦东新区世纪大道100号环球金融中心A座1203室",
        ),
        ("請寄到台北市大安區忠孝東路四段123巷4弄5號3樓", "台北市大安區忠孝東路四段123巷4弄5號3樓"),
        # Chinese: a building and a flat alone.
        ("我住在3栋1202室，楼上一直漏水", "3栋1202室"),
        ("阳光小区5号楼2单元501", "阳光小区5号楼2单元501"),
        # Japanese: a block and lot, full-width digits, a flat.
        ("大阪市北区梅田3丁目1番3号に住んでいます", "大阪市北区梅田3丁目1番3号"),
        ("〒160-0023 東京都新宿区西新宿２－８－１", "東京都新宿区西新宿２－８－１"),
        (
            "送り先：東京都新宿区 西新宿2-8-1 サンプルマンション305号室",
            "東京都新宿区 西新宿2-8-1 サンプルマンション305号室",
        ),
        ("山田村大字上野123番地の家", "山田村大字上野123番地"),
        # Korean: a road after its district, a lot, a flat.
        ("저희 집은 서울시 마포구 월드컵북로 396 입니다", "서울시 마포구 월드컵북로 396"),
        ("강남구 역삼동 123-45번지로 보내주세요", "강남구 역삼동 123-45번지"),
        ("래미안아파트 101동 1202호에 살아요", "래미안아파트 101동 1202호"),
        (
            "주소: 서울특별시 강남구 테헤란로 152, 101동 1202호",
            "서울특별시 강남구 테헤란로 152, 101동 1202호",
        ),
        # After a label, up to the next field.
        (
            "收货人：王芳 地址：杭州市西湖区文三路 90 号 电话：13871946205",
            "杭州市西湖区文三路 90 号",
        ),
    ],
)
def test_a_cjk_street_address(fast: PrivacyScanner, text: str, address: str) -> None:
    assert address in _found(fast, text, EntityType.STREET_ADDRESS)


@pytest.mark.parametrize(
    "text",
    [
        "坐302路公交车到人民广场",  # bus line 302: the number comes before the road word
        "会议在3楼301会议室",  # a floor and a meeting room, no building
        "根据第3条第2款的规定",
        "地铁3号线换乘",
        "5号选手得了95分",
        "IP地址：192.168.1.10",  # an address label, but no CJK in the value
        "301호 강의실에서 수업",
        "서울로 3번 갔다",  # "to Seoul three times": a counter follows
        "다시 처음으로 10 페이지",  # "으로" is a particle, never a road
        "这套房子120平米，总价300万元",
        "我们5点在3号门见面",
        "新宿駅の1番線ホーム",
        "第2-8-1節を参照",  # dashes without a ward, city or town before them
        "오늘 3-4명 왔다",
    ],
)
def test_numbers_in_cjk_text_that_are_no_address(detector: StructuredDetector, text: str) -> None:
    assert not [e for e in detector.detect(fold(text).text) if e.type == EntityType.STREET_ADDRESS]


@pytest.mark.parametrize(
    ("text", "value", "kind"),
    [
        ("我的卡号是4539148803436467谢谢", "4539148803436467", EntityType.CREDIT_CARD),
        ("카드 번호는 4539148803436467입니다", "4539148803436467", EntityType.CREDIT_CARD),
        ("私のIBANはDE89370400440532013000です", "DE89370400440532013000", EntityType.IBAN),
        ("我的email是zhang.wei@example.cn谢谢", "zhang.wei@example.cn", EntityType.EMAIL),
        ("私のSSNは536-22-1845です", "536-22-1845", EntityType.US_SSN),
        ("我的phone是+44 7911 123987谢谢", "+44 7911 123987", EntityType.PHONE),
        # A CJK keyword inside a CJK run ("我的身份证"): no space parts it from the words before.
        ("我的身份证：110101199003074514，谢谢", "110101199003074514", EntityType.NATIONAL_ID),
    ],
)
def test_a_value_written_against_cjk_characters(
    fast: PrivacyScanner, text: str, value: str, kind: EntityType
) -> None:
    assert value in _found(fast, text, kind)


@pytest.mark.parametrize(
    ("text", "phone"),
    [
        ("电话：13871946205", "13871946205"),
        ("我的手机号是13971946205", "13971946205"),
        ("电话: 138-7194-6205", "138-7194-6205"),
        ("联系方式：微信同号13871946205", "13871946205"),
        ("연락처 01071946205", "01071946205"),
    ],
)
def test_a_phone_after_a_cjk_cue(fast: PrivacyScanner, text: str, phone: str) -> None:
    assert phone in _found(fast, text, EntityType.PHONE)


@pytest.mark.parametrize(
    "text", ["我考了13871946205分", "共有13871946205人", "订单号：13871946205"]
)
def test_a_long_number_without_a_phone_cue(fast: PrivacyScanner, text: str) -> None:
    assert not _found(fast, text, EntityType.PHONE)


def test_the_view_parts_scripts_and_maps_spans_back() -> None:
    text = "卡号是４５３９1488谢谢"
    view = fold(text)
    assert view.text == "卡号是 45391488 谢谢"
    start = view.text.index("4")
    assert view.span(start, start + 8) == (text.index("４"), text.index("谢"))
    # Text without a CJK character is not touched.
    assert fold("café4539").text == "café4539"


def test_masking_a_cjk_address_restores_it(fast: PrivacyScanner) -> None:
    text = "请把发票寄到广州市天河区体育西路191号，谢谢"
    session = MaskSession()
    masked = session.mask(text, fast.assess(text).entities)
    assert "体育西路" not in masked and "191" not in masked
    assert session.restore(masked) == text


@pytest.mark.parametrize(
    ("text", "name"),
    [
        ("氏名：鈴木花子", "鈴木花子"),  # a name field: no space needed between the parts
        ("患者：鈴木花子", "鈴木花子"),  # a role: a common Japanese surname
        ("出租人：蔡明哲　電話：０９１６－４２８－３３０", "蔡明哲"),  # the space parts two fields
        ("받는 분: 이서준", "이서준"),
        ("신고인: 윤다현", "윤다현"),
        ('{"receiver_name": "郭思远", "receiver_phone": "15902137788"}', "郭思远"),
        ('{"ship_to": {"name": "高橋 由美", "postal_code": "060-0061"}}', "高橋 由美"),
        ('{"recipient": "최유나", "phone": "010-3372-9045"}', "최유나"),
        ("本人何子軒，現申請更改月結單郵寄地址", "何子軒"),
        ("我叫王芳，今年三十岁", "王芳"),
        ("제 이름은 이서준입니다", "이서준"),
        ("・小林 正和 様", "小林 正和"),
        ("请转告王芳女士明天开会", "王芳"),
        ("田中さん、こんにちは", "田中"),
        ("이서준 님께 전달 부탁드립니다", "이서준"),
        ("김민준 씨에게", "김민준"),
    ],
)
def test_a_cjk_name_after_a_key_an_introduction_or_before_an_honorific(
    fast: PrivacyScanner, text: str, name: str
) -> None:
    assert name in _found(fast, text, EntityType.PERSON)


@pytest.mark.parametrize(
    "text",
    [
        '{"name": "无线耳机", "price": 199}',  # a product under a bare "name" key
        '{"product_name": "无线耳机"}',
        "我叫了外卖",  # "I ordered takeout"
        "本人同意以上条款",
        "고객님 안녕하세요",  # customer-nim, a title
        "선생님께 여쭤보세요",
        "お客様へのお知らせ",
        "皆様、お疲れ様です",
        "这个周末小姐姐们都来了",
        "数学老师布置了作业",
        "아저씨가 왔다",
    ],
)
def test_cjk_words_that_are_no_name(fast: PrivacyScanner, text: str) -> None:
    assert not _found(fast, text, EntityType.PERSON)


@pytest.mark.parametrize(
    ("text", "address"),
    [
        (
            "Apt 203, 1-14-6 Kichijoji Honcho, Musashino-shi, Tokyo 180-0004",
            "Apt 203, 1-14-6 Kichijoji Honcho, Musashino-shi, Tokyo 180-0004",
        ),
        ("2-8-1 Nishi-Shinjuku, Shinjuku-ku, Tokyo", "2-8-1 Nishi-Shinjuku, Shinjuku-ku, Tokyo"),
        ("my Apt 4B is cold", "Apt 4B"),
        (
            "北海道札幌市中央区南1条西7丁目12-3 サンコート大通805号室",
            "北海道札幌市中央区南1条西7丁目12-3 サンコート大通805号室",
        ),
        ("上海市闵行区七莘路3555弄丽景苑22号601室", "上海市闵行区七莘路3555弄丽景苑22号601室"),
        ("新地址係港島北角英皇道500號海峰大廈15樓A室", "港島北角英皇道500號海峰大廈15樓A室"),
        (
            "인천광역시 연수구 송도과학로27번길 15, 송도그린빌 204동 2101호",
            "인천광역시 연수구 송도과학로27번길 15, 송도그린빌 204동 2101호",
        ),
        ("・届け先：シティコート月島 1105号室", "シティコート月島 1105号室"),
    ],
)
def test_more_address_shapes(fast: PrivacyScanner, text: str, address: str) -> None:
    assert address in _found(fast, text, EntityType.STREET_ADDRESS)


@pytest.mark.parametrize(
    "text",
    [
        "帰りは「本町1丁目」バス停から都バスに乗りたい",  # a district alone, a bus stop's name
        "你知道3号楼在哪吗",  # "知道" know, not a road
        "Apt 2.4 released",
        "2024年の予定",
    ],
)
def test_more_shapes_that_are_no_address(fast: PrivacyScanner, text: str) -> None:
    assert not _found(fast, text, EntityType.STREET_ADDRESS)


# --- review 20 ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "value"),
    [
        # JSON-escaped CJK (json.dumps' default, as in tool call arguments).
        (json.dumps({"note": "我的卡号是4539148803436467谢谢"}), "4539148803436467"),
        (json.dumps({"n": "私のIBANはDE89370400440532013000です"}), "DE89370400440532013000"),
        (json.dumps({"n": "手机13957284163"}), "13957284163"),
        # Hangul letters (chat's laugh), half-width katakana, a long-vowel mark as a dash.
        ("카드 4539148803436467ㅋㅋ", "4539148803436467"),
        ("ｶｰﾄﾞ4539148803436467ﾃﾞｽ", "4539148803436467"),
        ("電話090ー7361ー4825", "090ー7361ー4825"),
        # A Chinese mobile number with no cue, in Chinese text; and more cue words.
        ("张伟，13957284163，北京市海淀区", "13957284163"),
        ("我的号码是13957284163", "13957284163"),
    ],
)
def test_values_review_20_found_missed(fast: PrivacyScanner, text: str, value: str) -> None:
    assert value in [text[e.start : e.end] for e in fast.assess(text).entities]


def test_a_masked_cjk_name_is_masked_wherever_it_stands_again(fast: PrivacyScanner) -> None:
    session = MaskSession()
    texts = ["我叫王芳，住在杭州市西湖区文三路478号", "王芳你好！", "请帮王芳写一封信"]
    for text in texts:  # the gateway's first pass: every placeholder issued
        session.mask(text, fast.assess(text).entities)
    masked = [session.mask(text, fast.assess(text).entities) for text in texts]
    assert not any("王芳" in text for text in masked)
    assert [session.restore(text) for text in masked] == texts


@pytest.mark.parametrize(
    "text",
    [
        "서울날씨 알려줘",
        "구독자님 감사합니다",  # a title before 님
        "我的高中老师",
        "上海小姐",
        "星の王子さま",
        '{"customer":"苏宁易购"}',  # a company under a role key
        "本人于今日，签署本协议",
        "深圳市统计局2024-01-20发布",  # a date, not a block and lot
        "어제 축구 경기가 3-1로 끝났다",  # a score
        "제주도 올레길 7코스",
        "国道246号線が渋滞",  # a route
        "服务器地址：192.168.1.100，端口8080",  # a server's address
        "考场：3号楼201室",  # an exam room
        "共有13871946205人",
    ],
)
def test_text_review_20_found_false_alarms_in(fast: PrivacyScanner, text: str) -> None:
    assert not fast.assess(text).entities


@pytest.mark.parametrize(
    ("text", "name"),
    [("欧阳娜娜女士", "欧阳娜娜"), ("司马相如先生", "司马相如"), ("感谢王芳女士", "王芳")],
)
def test_compound_surnames_and_a_verb_before_a_name(
    fast: PrivacyScanner, text: str, name: str
) -> None:
    assert _found(fast, text, EntityType.PERSON) == [name]


@pytest.mark.parametrize(
    "make",
    [lambda n: "가" * n + " 가로1", lambda n: "3栋1202室" * (n // 7)],
    ids=["hangul", "flats"],
)
def test_long_cjk_runs_take_linear_time(fast: PrivacyScanner, make) -> None:  # type: ignore[no-untyped-def]
    import time

    fast.assess(make(100))  # warm
    started = time.perf_counter()
    fast.assess(make(60_000))
    # Quadratic before review 20's fix: ~16 s at this size on this machine; linear: ~0.3 s.
    assert time.perf_counter() - started < 4.0


@pytest.mark.parametrize(
    ("text", "name"),
    [
        ("我是住在这里的租客刘梦琪。卫生间的热水器坏了", "刘梦琪"),  # a role, no colon
        ("名前は森本 彩花です。", "森本 彩花"),
        ("差出人は私、佐藤美咲です", "佐藤美咲"),
    ],
)
def test_names_after_a_role_or_a_japanese_introduction(
    fast: PrivacyScanner, text: str, name: str
) -> None:
    assert _found(fast, text, EntityType.PERSON) == [name]


@pytest.mark.parametrize(
    "text", ["私は高校生です", "患者左膝疼痛", "名前は未定です", "名前は重要です"]
)
def test_no_name_after_a_japanese_introduction_or_a_role(fast: PrivacyScanner, text: str) -> None:
    assert not _found(fast, text, EntityType.PERSON)


@pytest.mark.parametrize(
    ("text", "address"),
    [
        (
            "成都市天府大道中段1366号锦澜苑7栋1单元1802室",
            "成都市天府大道中段1366号锦澜苑7栋1单元1802室",
        ),
        ("埼玉県さいたま市浦和区常盤6-4-21", "埼玉県さいたま市浦和区常盤6-4-21"),  # "和" in 浦和
    ],
)
def test_a_road_section_and_a_place_name_with_and(
    fast: PrivacyScanner, text: str, address: str
) -> None:
    assert _found(fast, text, EntityType.STREET_ADDRESS) == [address]


# --- review 21 ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "患者高血压、糖尿病病史",  # no name rule after "patient" or "customer" with no colon
        "客户余额为100元",
        "私は山口県出身です",  # a place after "私は"
        "私は中村屋が好き",
        "구독자님 감사합니다",
        "이사장 님",
        "司机先生",
        "周一先生到周五都在",
        "感谢王先生",  # a surname alone after the verb
        "返回地址：栈顶指针减8",  # addresses in code
        "设备地址：总线2端口3",
        "求13579246801的所有质因数",  # maths, not a phone
        "用户UID：13957284163",
        "发票号码：04400190",
    ],
)
def test_text_review_21_found_false_alarms_in(fast: PrivacyScanner, text: str) -> None:
    assert not fast.assess(text).entities


@pytest.mark.parametrize(
    ("text", "value", "kind"),
    [
        # A labelled address goes on past "，" or "、" when more of it follows.
        (
            "住所：大阪市北区梅田3-1-3、グランフロント大阪タワーB 2503号室",
            "大阪市北区梅田3-1-3、グランフロント大阪タワーB 2503号室",
            EntityType.STREET_ADDRESS,
        ),
        (
            "地址：北京市朝阳区，建国路88号院3号楼1802",
            "北京市朝阳区，建国路88号院3号楼1802",
            EntityType.STREET_ADDRESS,
        ),
        ("地址：3栋1202室，阳光花园小区", "3栋1202室，阳光花园小区", EntityType.STREET_ADDRESS),
        ("13957284163张伟", "13957284163", EntityType.PHONE),  # 张 opens a name here
        ("김민준님 안녕하세요", "김민준", EntityType.PERSON),
        ("我叫欧阳娜娜", "欧阳娜娜", EntityType.PERSON),
    ],
)
def test_values_review_21_found_missed(
    fast: PrivacyScanner, text: str, value: str, kind: EntityType
) -> None:
    assert value in _found(fast, text, kind)


def test_a_hangul_value_is_not_swept_inside_another_word(fast: PrivacyScanner) -> None:
    session = MaskSession()
    session.mask("제 이름은 나라입니다", fast.assess("제 이름은 나라입니다").entities)
    assert session.mask("우리나라의 역사", []) == "우리나라의 역사"
