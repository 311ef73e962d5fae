"""Sixteenth session: personal data in Chinese, Japanese and Korean text. Street addresses in
those scripts; phone cues in them; and values written against CJK characters with no space
("卡号是4539…谢谢"), which the detection view parts from them (`folding.py`)."""

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
