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
from hybridroute.privacy.pattern_recognizer import PatternRecognizer


def cjk_name_recognizer() -> PatternRecognizer:
    """The recognizer of a name after one of the labels, checked by `cjk_name`."""
    return PatternRecognizer(
        entity=EntityType.PERSON,
        pattern=re.compile(
            rf"(?P<label>{_CJK_NAME_LABEL})"
            rf"(?P<v>[{_HAN}]{{1,3}}[ \u3000]?[{_HAN}]{{1,3}}|[{_HANGUL}]{{2,4}})"
            rf"(?![{_HAN}{_HANGUL}])"
        ),
        score=0.85,
        check=cjk_name,
        # Han ranges do not fold for the prefilter; the label alone does, so the pattern
        # is tried only where one stands.
        opener=re.compile(_CJK_NAME_LABEL),
    )


def cjk_name(match: re.Match[str], text: str, lowered: str) -> float | None:
    """A Han or Hangul value after a name label, unless it is a form's instruction or a
    placeholder ("请填写" please fill in, "未知" unknown, "张三" the Chinese John Doe). After
    a role rather than a name field, only a value that opens with a common surname or is
    written in two parts ("田島 誠一")."""
    value = match["v"]
    if value[0] in _CJK_NOT_A_NAME_START or value in _CJK_PLACEHOLDER_NAMES:
        return None
    if match["label"] in _CJK_NAME_FIELDS or " " in value or "\u3000" in value:
        return 0.85
    return 0.85 if value[0] in _CJK_COMMON_SURNAMES else None


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
    "严嚴覃武戴莫孔向汤湯欧歐阳陽司上诸諸葛"
    "김이박최정강조윤장임한오서신권황안송류유전홍고문양손배백허남심노하곽성차주우구민진나지"
    "엄채원천방공현함변염여추도소석선설마길연위표명기반라왕금옥육인맹제모탁국어은편용예경봉"
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


# Han (CJK unified ideographs and extension A) and Hangul syllables.
_HAN = "\u3400-\u4dbf\u4e00-\u9fff"
_HANGUL = "\uac00-\ud7a3"
# Name fields and roles: Japanese (氏名, 名前, 患者名, 宛名, 契約者), Chinese simplified and
# traditional (姓名, 业主/業主, 患者, 病人, 客户/客戶, 联系人/聯絡人, 收件人, 收货人/收貨人,
# 申请人/申請人, 租客, 房客, 住户/住戶, 员工/員工, 学生/學生, 家长/家長, 投诉人/投訴人),
# Korean (이름, 성명, 환자, 고객).
_CJK_NAME_LABELS = (
    "お名前|氏名|名前|患者名|患者氏名|宛名|契約者名?|姓名|名字|业主|業主|患者|病人|客户|客戶"
    "|联系人|聯絡人|收件人|收货人|收貨人|申请人|申請人|租客|房客|住户|住戶|员工|員工|学生"
    "|學生|家长|家長|投诉人|投訴人|이름|성명|환자|고객"
)
# A label with its colon (written out, not escaped, so that the prefilter can fold it).
_CJK_NAME_LABEL = f"(?:{_CJK_NAME_LABELS})[ \t\u3000]*[:\uff1a][ \t\u3000]*"
