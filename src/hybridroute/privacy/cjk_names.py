"""Names in Chinese, Japanese and Korean script after a name label: a name field or a
person's role and its colon, plain or full-width ("氏名: 田島 誠一", "业主: 严志刚",
"성명: 김민준"). These scripts have no capitals to find a name by, but the label says what follows:
two to six Han characters (a space may part surname and given name, as Japanese
writes them) or two to four Hangul syllables, and then no more of either. After a
role ("患者", "业主") rather than a name field, a description may follow instead
("患者: 左膝疼痛" left knee pain): there the value must open with a common surname or
be written in two parts (`cjk_name`).
"""

from __future__ import annotations

import re

from hybridroute.privacy.entities import EntityType
from hybridroute.privacy.matching import HAN, HANGUL
from hybridroute.privacy.pattern_recognizer import PatternRecognizer


def cjk_name_recognizers() -> tuple[PatternRecognizer, ...]:
    """Names after a CJK label, after a person's key in Latin letters (JSON, YAML, forms:
    `"receiver_name": "郭思远"`), and after a self-introduction ("我叫王芳")."""
    return (
        _recognizer(
            rf"(?P<label>{_CJK_NAME_LABELS})[ \t\u3000]*[:\uff1a][ \t\u3000]*{_NAME_VALUE}"
            rf"(?![{HAN}{HANGUL}])",
            opener=_CJK_NAME_LABEL,
        ),
        _recognizer(
            rf"(?P<label>{_PERSON_KEYS})[\"']?[ \t]*[:=][ \t]*[\"']?{_NAME_VALUE}"
            rf"(?![{HAN}{HANGUL}])",
            opener=_PERSON_KEY,
            lowered=True,
        ),
        _recognizer(
            rf"(?P<label>{_INTRODUCTIONS})[ \t]?(?P<v>[{HAN}]{{2,4}})(?![{HAN}])",
            opener=_INTRODUCTIONS,
        ),
        # Japanese: "名前は森本 彩花です", "私、佐藤美咲です".
        _recognizer(
            rf"(?P<label>{_JAPANESE_INTRODUCTIONS})[ \t]?{_NAME_VALUE}"
            r"(?=です|と申します|と言います|、|。|$)",
            opener=_JAPANESE_INTRODUCTIONS,
        ),
        # A role right before a full name, with no colon: "租客刘梦琪" (tenant). Three
        # characters (four after a compound surname): "客户余额" and "患者高血压" are no names,
        # so no roles that nouns follow as often (patient, customer; review 21).
        _recognizer(
            rf"(?P<label>{_CHINESE_ROLES})(?P<v>[{HAN}]{{3,4}})(?![{HAN}])",
            opener=_CHINESE_ROLES,
        ),
        _recognizer(
            rf"(?P<label>{_KOREAN_INTRODUCTIONS}) ?(?P<v>[{HANGUL}]{{2,4}}?)"
            rf"(?=입니다|이에요|예요|이고|이며|이라고|라고|님|씨|[^{HANGUL}]|$)",
            opener=_KOREAN_INTRODUCTIONS,
        ),
        # A name before an honorific ("小林 正和 様", "王芳女士", "이서준 씨"), like "Mr".
        PatternRecognizer(
            entity=EntityType.PERSON,
            pattern=re.compile(_HONORIFICS),
            score=0.85,
            check=name_before_honorific,
            opener=re.compile(_HONORIFICS),
            needs_cjk=True,
        ),
    )


def name_before_honorific(
    match: re.Match[str], text: str, lowered: str
) -> tuple[float, int, int] | None:
    """The name just before an honorific: Han characters (Japanese may part surname and given
    name with a space) that open with a common surname, or a Korean name of three syllables
    ("이서준 님", "김민준님", "김민준 씨"; not a title's "구독자님" subscriber, and "씨" only
    after a space: written together it ends words, "날씨" weather). Chinese runs words
    together, so of the Han run before the honorific only its last two or three characters
    (four after a compound surname) can be the name ("请转告王芳女士", "欧阳娜娜女士")."""
    end = match.start()
    if match[0] == "小姐" and text.startswith("姐", match.end()):
        return None  # "小姐姐", slang for a young woman
    if match[0] in _KOREAN_HONORIFICS:
        spaced = text[end - 1 : end] == " "
        if not spaced and match[0] == "씨":
            return None  # written together, 씨 ends words: "날씨" weather, "글씨" writing
        name_end = end - 1 if spaced else end
        hangul = _HANGUL_RUN_BEFORE.search(text, max(0, name_end - 6), name_end)
        if hangul is None or len(hangul[0]) != 3 or hangul[0][0] not in _CJK_COMMON_SURNAMES:
            return None
        if hangul[0][-1] in _KOREAN_TITLE_ENDS:
            return None  # "구독자님" subscriber, "이사장 님" chairman: titles
        return 0.85, hangul.start(), name_end
    if text[end - 1 : end] in (" ", "\u3000"):
        end -= 1
    run = _HAN_RUN_BEFORE.search(text, max(0, end - 8), end)
    if run is None:
        return None
    if " " in run[0] or "\u3000" in run[0]:  # "小林 正和": Japanese, surname first
        first = run[0].split()[0]
        if first.startswith(_JAPANESE_COMMON_SURNAMES) or first[0] in _CJK_COMMON_SURNAMES:
            return 0.85, run.start(), end
        return None
    for size in (4, 3, 2):
        name = run[0][-size:]
        if len(name) < size or name in _CJK_PLACEHOLDER_NAMES or name in _NOT_NAMES:
            continue
        if name[0] in _VERB_ENDS and _opens_with_surname(name[1:]):
            if size == 2:
                return None  # "感谢王先生": a surname alone, after the verb
            continue  # "感谢王芳先生": 谢 ends "thank", the name is 王芳
        if name.startswith(_JAPANESE_COMMON_SURNAMES) or (
            (size < 4 or name[:2] in _COMPOUND_SURNAMES) and _opens_with_surname(name)
        ):
            return 0.85, end - size, end
    return None


def _opens_with_surname(name: str) -> bool:
    return name[0] in _CJK_COMMON_SURNAMES or name[:2] in _COMPOUND_SURNAMES


def _recognizer(pattern: str, *, opener: str, lowered: bool = False) -> PatternRecognizer:
    return PatternRecognizer(
        entity=EntityType.PERSON,
        pattern=re.compile(pattern),
        score=0.85,
        check=cjk_name,
        lowered=lowered,
        # Han ranges do not fold for the prefilter; the label alone does, so the pattern
        # is tried only where one stands.
        opener=re.compile(opener),
        needs_cjk=True,
    )


def cjk_name(match: re.Match[str], text: str, lowered: str) -> tuple[float, int, int] | None:
    """A Han or Hangul value after a name label, unless it is a form's instruction or a
    placeholder ("请填写" please fill in, "未知" unknown, "张三" the Chinese John Doe). After
    a role rather than a name field, only a value that opens with a common surname or is
    written in two parts ("田島 誠一")."""
    value, label = match["v"], match["label"]
    if value[0] in _CJK_NOT_A_NAME_START or value in _CJK_PLACEHOLDER_NAMES:
        return None
    parted = " " in value or "\u3000" in value
    if parted and _FIELD_COLON.match(text, match.end()):
        # "出租人：蔡明哲　電話：…": the space parts two fields, not surname and given name.
        value, parted = value.split()[0], False
        if len(value) < 2:
            return None
    if label == "name" and not parted:
        # A bare "name" key names cities and products as often ("name": "오슬로" Oslo,
        # "王府井"): only a name written in two parts ("高橋 由美") counts there.
        return None
    named = label in _CJK_NAME_FIELDS or label.replace("-", "_") in _PERSON_NAME_KEYS
    if named or parted:
        return 0.85, match.start("v"), match.start("v") + len(value)
    if label == "本人" and value[0] in _NOT_AFTER_UNDERSIGNED:
        return None  # "本人于今日签署" I, on this day, sign
    if label in _JAPANESE_INTRODUCTION_LABELS:
        # These open any sentence ("私は高校生です", "名前は重要です"): only a name in two
        # parts, or one that opens with a listed Japanese surname.
        if not (parted or value.startswith(_JAPANESE_COMMON_SURNAMES)):
            return None
        if _NOT_A_PERSON_PART.search(value):
            return None  # "私は山口県出身です", "中村屋": a place, a shop
        return 0.85, match.start("v"), match.start("v") + len(value)
    japanese = value.startswith(_JAPANESE_COMMON_SURNAMES)
    # A Chinese name is two or three characters, four after a compound surname: a longer
    # value after a role is a company ("customer": "苏宁易购", review 20).
    chinese = _opens_with_surname(value) and (
        len(value) <= 3 or value[:2] in _COMPOUND_SURNAMES or not _is_han(value)
    )
    if japanese or chinese:
        return 0.85, match.start("v"), match.start("v") + len(value)
    return None


def _is_han(value: str) -> bool:
    return _HAN_CHAR.match(value) is not None


# After "本人" (I, the undersigned): prepositions and adverbs, not a name (at, towards, to,
# now, hereby, already, will).
_NOT_AFTER_UNDERSIGNED = frozenset("于於向对對在现現特兹茲已将將")


# First characters of instructions and blanks in name fields: please, none, not yet, pending,
# see, omitted, empty, must. None of them is a common surname.
_CJK_NOT_A_NAME_START = frozenset("请請无無未待见見略空须須必详詳同")
_CJK_NAME_FIELDS = frozenset(
    "お名前 氏名 名前 患者名 患者氏名 宛名 契約者 契約者名 姓名 名字 이름 성명".split()
)
# The commonest Chinese surnames (simplified and traditional) and Korean ones: together they
# open the names of most people of either language.
_CJK_COMMON_SURNAMES = frozenset(
    "王李张張刘劉陈陳杨楊黄黃赵趙吴吳周徐孙孫马馬朱胡郭何高林罗羅郑鄭梁谢謝宋唐许許韩韓冯馮"
    "邓鄧曹彭曾肖萧蕭田董袁潘于蒋蔣蔡余杜叶葉程苏蘇魏吕呂丁任沈姚卢盧姜崔钟鍾谭譚陆陸汪范"
    "金石廖贾賈夏韦韋付方白邹鄒孟熊秦邱江尹薛闫閆段雷侯龙龍史陶黎贺賀顾顧毛郝龚龔邵万萬钱錢"
    "严嚴覃武戴莫孔向汤湯欧歐阳陽诸諸葛"
    "김이박최정강조윤장임한오서신권황안송류유전홍고문양손배백허남심노하곽성차주우구민진나지"
    "엄채원천방공현함변염여추도소석선설마길연위표명기반라왕금옥육인맹제모탁국어은편용예경봉"
)
# Two-character surnames ("欧阳娜娜", "司马相如").
_COMPOUND_SURNAMES = frozenset(
    "欧阳 歐陽 司马 司馬 上官 诸葛 諸葛 东方 東方 皇甫 令狐 慕容 夏侯 独孤 獨孤 尉迟 尉遲 "
    "公孙 公孫 长孙 長孫 宇文 司徒 南宫 南宮 西门 西門 端木 申屠".split()
)
# Surname characters that also end a verb or are a preposition before a name: 感谢 thank,
# 向 towards, 于 at.
_VERB_ENDS = frozenset("谢謝向于於")
# Words that open with a surname and stand before an honorific: "王子様" the prince.
_NOT_NAMES = frozenset(
    {"王子", "王女", "王妃", "周一", "周二", "周三", "周四", "周五", "周六", "周日", "周末"}
)
# The commonest Japanese surnames (most are two characters, so they are kept whole).
_JAPANESE_COMMON_SURNAMES = tuple(
    "佐藤 鈴木 高橋 田中 伊藤 渡辺 渡邊 山本 中村 小林 加藤 吉田 山田 佐々木 山口 松本 井上 木村 "
    "斎藤 斉藤 清水 山崎 池田 橋本 阿部 石川 山下 中島 石井 小川 前田 岡田 長谷川 藤田 後藤 "
    "近藤 村上 遠藤 青木 坂本 福田 太田 西村 藤井 金子 岡本 藤原 中野 三浦 原田 中川 松田 竹内 "
    "小野 田村 中山 和田 石田 森田 上田 柴田 酒井 工藤 横山 宮崎 宮本 内田 高木 安藤 島田 谷口 "
    "大野 高田 丸山 今井 河野 藤本 村田 武田 上野 杉山 増田 小山 大塚 平野 菅原 久保 松井 千葉 "
    "岩崎 桜井 木下 野口 松尾 菊地 野村 新井 渡部 田島 小池 北村 西田 森本".split()
)
_CJK_PLACEHOLDER_NAMES = frozenset(
    {
        "张三",
        "張三",
        "李四",
        "王五",
        "赵六",
        "趙六",
        "山田 太郎",
        "山田太郎",
        "山田 花子",
        "山田花子",
        "홍길동",
    }
)


# Name fields and roles: Japanese (氏名, 名前, 患者名, 宛名, 契約者), Chinese simplified and
# traditional (姓名, 业主/業主, 患者, 病人, 客户/客戶, 联系人/聯絡人, 收件人, 收货人/收貨人,
# 申请人/申請人, 租客, 房客, 住户/住戶, 员工/員工, 学生/學生, 家长/家長, 投诉人/投訴人),
# 出租人/承租人 lessor and lessee, 房东 landlord, 寄件人/发件人 sender, Japanese 差出人
# sender and 受取人 recipient; Korean (이름, 성명, 환자, 고객, 신고인 declarant, 받는 분
# recipient, 보내는 분 sender, 수령인/수취인 recipient, 예약자 booker, 신청인 applicant,
# 세대주 head of household, 임대인/임차인 lessor and lessee, 계약자 contractor).
_CJK_NAME_LABELS = (
    "お名前|氏名|名前|患者名|患者氏名|宛名|契約者名?|姓名|名字|业主|業主|患者|病人|客户|客戶"
    "|联系人|聯絡人|收件人|收货人|收貨人|申请人|申請人|租客|房客|住户|住戶|员工|員工|学生"
    "|學生|家长|家長|投诉人|投訴人|出租人|承租人|房东|房東|寄件人|发件人|發件人|差出人|受取人"
    "|이름|성명|환자|고객|신고인|받는 ?분|받는 ?사람|보내는 ?분|수령인|수취인|예약자|신청인|세대주"
    "|임대인|임차인|계약자"
)
# A label with its colon (written out, not escaped, so that the prefilter can fold it).
_CJK_NAME_LABEL = f"(?:{_CJK_NAME_LABELS})[ \t\u3000]*[:\uff1a][ \t\u3000]*"
_HAN_CHAR = re.compile(rf"[{HAN}]")
# In a place's, a shop's or a role's name, never in a person's.
_NOT_A_PERSON_PART = re.compile("[県市区町村駅線屋店社]|出身|製薬|選手|大学|高校")
_FIELD_COLON = re.compile(r"[ \t\u3000]*[:\uff1a]")
# A name: two to six Han characters (Japanese may part surname and given name with a space)
# or two to four Hangul syllables.
_NAME_VALUE = rf"(?P<v>[{HAN}]{{1,3}}[ \u3000]?[{HAN}]{{1,3}}|[{HANGUL}]{{2,4}})"
# Keys in Latin letters whose value is a person's name (lower-cased; "_", "-" or nothing
# between the words). `_PERSON_NAME_KEYS` name the person; the others only say who it is.
_PERSON_WORDS = (
    "full|first|last|given|family|receiver|recipient|sender|customer|contact|patient|guest"
    "|passenger|applicant|tenant|holder|account_holder|employee|student|parent|user|display"
)
_PERSON_KEYS = (
    rf"(?:{_PERSON_WORDS})[_-]?name|surname|name|recipient|receiver|sender|consignee"
    r"|addressee|customer|contact_person|patient|tenant|landlord|passenger|applicant"
)
_PERSON_KEY = rf"(?:{_PERSON_KEYS})[\"']?[ \t]*[:=]"
_PERSON_NAME_KEYS = frozenset(
    {f"{word}{joiner}name" for word in _PERSON_WORDS.split("|") for joiner in ("", "_")}
    | {"surname"}
)
# Honorifics after a name: Japanese (様, さん, さま, くん, ちゃん, 氏, 殿, 先生), Chinese (先生
# Mr, 女士 Ms, 小姐 Miss), Korean (님, 씨). Not 老师 (teacher) or 医生 (doctor): they follow
# nouns as often ("高中老师" high-school teacher, "上门医生" a doctor who visits; review 20).
_KOREAN_HONORIFICS = frozenset({"님", "씨"})
# Last syllables of titles before 님 ("구독자" subscriber, "이사장" chairman, "기사" driver,
# "직원" employee, "학생" student, "고객" customer, "관리인" caretaker).
_KOREAN_TITLE_ENDS = frozenset("자장사원생객인관")
_HONORIFICS = "様|さん|さま|くん|ちゃん|氏|殿|先生|女士|小姐|님|씨"
_HAN_RUN_BEFORE = re.compile(
    rf"[{HAN}\u3005]{{1,3}}[ \u3000]?[{HAN}\u3005]{{1,3}}$|[{HAN}\u3005]{{2,8}}$"
)
_HANGUL_RUN_BEFORE = re.compile(rf"(?<![{HANGUL}])[{HANGUL}]{{2,4}}$")
# Introductions: "I am called", "my name is" (also Cantonese), "the undersigned", in Chinese;
# "my name is" in Korean (the name may run into the copula: "이서준입니다").
_INTRODUCTIONS = "我叫|我名叫|我的名字是|我的名字叫|我个名系|我個名係|本人"
_KOREAN_INTRODUCTIONS = "제 이름은|저의 이름은"
_JAPANESE_INTRODUCTIONS = "名前は|私は|私、"
_JAPANESE_INTRODUCTION_LABELS = frozenset(_JAPANESE_INTRODUCTIONS.split("|"))
# Roles a Chinese name follows with no colon (tenant, owner, landlord, recipient, applicant).
_CHINESE_ROLES = "租客|房客|业主|業主|房东|房東|收件人|申请人|申請人"
