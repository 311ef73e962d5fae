import pytest

from hybridroute.privacy.calibration import has_personal_context
from hybridroute.privacy.names import NameDetector


@pytest.mark.parametrize(
    ("text", "personal"),
    [
        ("Dear Tom, here are the notes", True),
        ("  hi Anna, quick question", True),
        ("x\nHey Joe", True),
        ("say hi Bob", False),
        ("this is Anna from accounts", True),
        ("this is a test", False),
        ("my colleague asked about it", True),
        ("Kind regards,\nBob", True),
        ("mymother", False),
        ("Hello world", False),
        # A quote opens no line: "Hello World" in code and prose (a quoted letter's salutation
        # is lost with it); greetings that are also names or "hello world"s are none.
        ("proofread: 'Dear Anna, thanks for'", False),
        ('print("Hello World!")', False),
        ("Hola Mundo is the Spanish Hello World", False),
        ("Cher Lloyd sang it", False),
        ("Sehr geehrter Herr Hofmann,", True),
        # Roles only private people have, messages to or from someone, honorifics, headers.
        ("the new intern asked", True),
        ("Say\u0131n Ayşe Kaya'ya bir mektup", True),
        ("Beste meneer Jansen", True),
        ("a patient with a fever", False),  # a medical question, not someone's record
        ("feedback for our 1:1", True),
        ('{"assignee": "x"}', True),
        ("Send a reminder to Eilidh that", True),
        ("thank-you note to Margaret for", True),
        ("ask my wife", True),
        ("Napisz podziękowanie dla pani Katarzyny", True),
        ("Abmahnung für Herrn Hofmann", True),
        ("Summarize:\nFrom: Hiroshi Tanaka\nSent: Monday", True),
        ("Résume ce mail :\nDe : Camille", True),
        # A possessive, up to two listed modifiers, a role; a role alone in nine languages.
        ("a letter for my former student", True),
        ("a message to our delivery driver", True),
        ("voor mijn huurder", True),
        ("mi casera no me devuelve la fianza", True),
        # Grandparents, and the Polish cases of relatives.
        ("Jestem opiekunką mojej babci, Stanisławy", True),
        ("ma grand-mère Odile", True),
        ("Meine Oma Hildegard", True),
        ("prezent dla mojego syna", True),
        ("my code for the student records", False),
        # Messages, replies and meetings with someone; a record's name field.
        ("Write a recommendation for Noor", True),
        ("Rispondi a Chiara, che chiede", True),
        ("Quarterly review with Agnieszka", True),
        ("questions for the exit interview", True),
        ('contact updated: {"name": "Sophie Dubois"}', True),
        ("<fullName>Rosalind Achterberg</fullName>", True),
        ('failed login for user "Dmitri Volkov"', True),
        ('{"name": "my-app", "version": "1.0.0"}', False),
        # Not: the same words in generic text.
        ("Analyze these customer reviews of Samsung phones", False),
        ("Joe offers his clients two plans", False),
        ("a note to self", False),
        ("the message from Mars", True),  # a capital after a message's "from": over-masks
        ("ask whether it works", False),
        ("sent from: my phone", False),
    ],
)
def test_personal_cues(text: str, personal: bool) -> None:
    assert has_personal_context(text, []) is personal


@pytest.mark.parametrize(
    ("text", "personal"),
    [
        ("HR note: Employee Jonas Bergström was late 6 times", True),
        (
            "Hasta Kemal Y\u0131ld\u0131r\u0131m bu sabah geldi",
            True,
        ),  # the role opens the run
        ("la paciente María acudió a consulta", True),
        # A role word counts only right before a name the detectors found.
        ("The system shall provide Customer Support.", False),
        ("Maintain the customer Profile page", False),
        ("a patient with a fever", False),
        ("college student Kimo has three classes", False),  # word problems name students
    ],
)
def test_role_cues_need_a_name_next(text: str, personal: bool) -> None:
    entities = NameDetector().detect(text)
    assert has_personal_context(text, entities) is personal


@pytest.mark.parametrize(
    ("text", "personal"),
    [
        # Someone the writer addresses or acts on: the detected name right after the cue.
        ("remind Declan McCarthy that the quarterly report is due", True),
        ("congratulate Mohammed Al-Farsi on his promotion", True),
        ("helpdesk ticket opened by Jennifer Okafor: outlook crashes", True),
        ("At 14:20 the forklift operated by Daniel Moreno clipped rack B12", True),
        # A message, card or letter a few words before the name's preposition.
        ("Necesito una carta de recomendación para Alejandro Torres Villanueva", True),
        ("a condolence card from the whole office to the family of Seamus O'Donoghue", True),
        ("Schrijf een verjaardagskaartje voor Sanne van der Berg", True),
        ("Μπορείς να γράψεις ένα email προς την Eleni Papadopoulou;", True),  # noqa: RUF001
        # Where the person works, or what happened to them at work, right after the name.
        ("Rohit Kulkarni from accounts says our invoice total is wrong", True),
        ("Hi team, Emily Tran is off sick until Thursday.", True),
        # A salutation in another language; a school report.
        ("Prezada Ana Paula Ferreira,\ninformamos que", True),
        ("my report card comment: Mateo Gutierrez made good progress", True),
        # Not: no name right there, or a verb said of public figures.
        ("Which beverage can you thank Louis Pasteur for making possible?", False),
        ("ask Python to sort the list, said Guido van Rossum", False),
        ("Lionel Messi from the Argentina national team scored", False),
        ("a travel plan for Paris in May by Rick Steves", False),
        ("the forklift operated by the night shift, wrote Daniel Moreno", False),
        ("someone from accounts says the total is wrong", False),  # no name before it
        ("congratulations to Mohammed Al-Farsi on the promotion", True),
        # Found by review: verbs, nouns and facts said of public figures too.
        ("What would you ask Albert Einstein about relativity?", False),
        ("The Declaration was signed by John Hancock first.", False),
        ("This bug was reported by Linus Torvalds on the mailing list.", False),
        ("Which famous speech is attributed to Winston Churchill?", False),
        ("Create a workout plan for Chris Hemsworth style muscle gain.", False),
        ("Give me a brief introduction to Albert Einstein.", False),
        ("Lionel Messi will be out for three weeks with an injury.", False),
        ("The paper by Ping Zhang and Wei Chen on graph networks", False),
    ],
)
def test_addressee_and_affiliation_cues_need_the_name_there(text: str, personal: bool) -> None:
    from hybridroute.privacy.calibration import vouched_names

    entities = NameDetector().detect(text)
    vouched = vouched_names(text, entities)
    assert (bool(vouched) or has_personal_context(text, entities)) is personal


@pytest.mark.parametrize(
    ("text", "private", "public"),
    [
        ("remind Declan McCarthy to read Barack Obama's memoir", "Declan McCarthy", "Barack Obama"),
        (
            "Rohit Kulkarni, from accounts, quotes Warren Buffett",
            "Rohit Kulkarni",
            "Warren Buffett",
        ),
        ("Priya Raghunathan (from HR) likes Taylor Swift", "Priya Raghunathan", "Taylor Swift"),
    ],
)
def test_an_addressee_cue_vouches_for_its_name_only(text: str, private: str, public: str) -> None:
    from hybridroute.privacy.calibration import calibrate

    scores = {text[e.start : e.end]: e.score for e in calibrate(NameDetector().detect(text), text)}
    assert scores[private] == 0.85 and scores[public] == 0.7


def test_ner_spans_that_are_no_names_do_not_make_a_table_of_people() -> None:
    from hybridroute.privacy.calibration import calibrate
    from hybridroute.privacy.entities import Entity, EntityType

    text = "| name | value |\n|---|---|\n| val | 3 |\nAnna said so."
    junk = Entity(type=EntityType.PERSON, start=text.index("val "), end=text.index("val ") + 3,
                  score=0.85, source="ner")  # fmt: skip
    anna = Entity(type=EntityType.PERSON, start=text.index("Anna"), end=text.index("Anna") + 4,
                  score=0.85, source="ner")  # fmt: skip
    [kept] = calibrate([junk, anna], text)
    assert kept.start == anna.start and kept.score == 0.7  # no personal context


@pytest.mark.parametrize(
    ("span", "plausible"),
    [
        ("Sanne van der Berg", True),  # particles inside a name stay lower case
        ("Jan de Vries", True),
        ("Anne-Marie O'Neil", True),
        ("van der Berg", False),  # a particle does not open the span NER found
        ("Anna de", False),
        ("p(x)", False),
    ],
)
def test_ner_spans_that_can_be_names(span: str, plausible: bool) -> None:
    from hybridroute.privacy.calibration import looks_like_proper_noun

    assert looks_like_proper_noun(span) is plausible
