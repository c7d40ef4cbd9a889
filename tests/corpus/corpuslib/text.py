"""The words of the corpus: all of it written for this generator.

English text is assembled from small word lists; the other languages are a
handful of sentences about an invented harbour and its ferry, written here
and encoded with Python's codecs. Each language also has marker words that
appear nowhere else in the corpus, so a test can search for them."""

FIRST = ["Alma", "Bruno", "Carla", "Dario", "Edda", "Finn", "Greta", "Hugo", "Ines", "Jonas", "Kira",
         "Lars", "Mila", "Nils", "Olga", "Piet", "Rosa", "Sven", "Tilda", "Uwe", "Vera", "Wim", "Yara", "Zeno"]
LAST = ["Brandt", "Costa", "Dahl", "Eriksen", "Falk", "Holm", "Jansen", "Kovac", "Lund", "Moreau", "Novak",
        "Ortega", "Petit", "Quist", "Rossi", "Sato", "Tanaka", "Ueda", "Vidal", "Weber", "Yilmaz", "Zimmer"]
DOMAINS = ["example.org", "example.com", "example.net", "mail.example.org", "lists.example.org"]

_ADJ = ["slow", "quiet", "broken", "nightly", "shared", "stale", "fresh", "large", "small", "second",
        "local", "remote", "careful", "rough", "tidy", "late", "early", "strict", "loose", "spare"]
_NOUN = ["build", "runner", "cache", "index", "release", "branch", "patch", "mirror", "schedule", "harbour",
         "ferry", "timetable", "ticket", "manifest", "checksum", "folder", "mailbox", "archive", "parser",
         "queue", "backup", "report", "meeting", "invoice", "draft", "crane", "dock", "lantern", "rope",
         "gangway", "tide table", "logbook", "deck plan", "cargo list", "test suite", "benchmark"]
_VERB = ["breaks", "fixes", "skips", "needs", "moves", "delays", "checks", "copies", "replaces", "keeps",
         "loses", "repairs", "touches", "renames", "measures", "rebuilds", "signs", "opens", "closes"]
_TAIL = ["before the weekend", "after the last crossing", "on the second pier", "every other night",
         "when the tide turns", "without a warning", "since the upgrade", "in the old harbour office",
         "for the winter timetable", "once the crane is free", "as discussed on Monday", "by hand"]
_OPEN = ["I think", "As far as I can tell", "Honestly,", "For the record,", "Quick note:", "Good news:",
         "Sadly,", "To be fair,", "In short,", "Looking at the logs,"]

# Sentences per language (ours), and marker words found only in that language's mail.
SENTENCES = {
    "de": ["Die Fähre nach Süderoog fährt morgen erst um halb neun.",
           "Bitte prüft die Änderungen am Fahrplan bis Freitag.",
           "Der Hafenmeister hat die Liegegebühren für größere Boote erhöht.",
           "Wir treffen uns wie üblich im Büro an der Schleuse.",
           "Die Übersicht der Buchungen liegt im gemeinsamen Ordner.",
           "Ärgerlich ist nur, dass der Drucker schon wieder streikt."],
    "fr": ["Le bac de l’île part à sept heures précises.",
           "Nous avons reçu la facture de 240 € pour l’entretien du quai.",
           "Merci de vérifier les horaires avant jeudi soir.",
           "La réunion du comité aura lieu près de l’écluse, comme d’habitude.",
           "Les élèves de l’école nautique arrivent en août, déjà inscrits."],
    "ru": ["Паром отходит от северного причала ровно в семь утра.",
           "Пожалуйста, проверьте новое расписание до пятницы.",
           "Смотритель маяка просил передать привет всей команде.",
           "Отчёт о перевозках за квартал лежит в общей папке.",
           "Завтра обещают сильный ветер и высокую волну."],
    "ja": ["渡し船は朝七時に北の桟橋を出発します。",
           "新しい時刻表を金曜日までに確認してください。",
           "灯台の管理人から皆さんによろしくとのことです。",
           "四半期の輸送報告書は共有フォルダにあります。",
           "明日は風が強く、波が高くなる予報です。"],
    "zh-hans": ["渡轮每天早上七点从北码头出发。",
                "请在星期五之前核对新的时刻表。",
                "灯塔管理员向大家问好。",
                "本季度的运输报告放在共享文件夹里。",
                "明天预计有大风和高浪。"],
    "zh-hant": ["渡輪每天早上七點從北碼頭出發。",
                "請在星期五之前核對新的時刻表。",
                "燈塔管理員向大家問好。",
                "本季度的運輸報告放在共用資料夾裡。",
                "明天預計有大風和高浪。"],
    "he": ["המעבורת יוצאת מהרציף הצפוני בשבע בבוקר.",
           "נא לבדוק את לוח הזמנים החדש עד יום שישי.",
           "שומר המגדלור מוסר שלום לכל הצוות.",
           "דוח ההובלות של הרבעון נמצא בתיקייה המשותפת.",
           "מחר צפויה רוח חזקה וגלים גבוהים."],
    "ko": ["여객선은 아침 일곱 시에 북쪽 부두에서 출발합니다.",
           "새 시간표를 금요일까지 확인해 주세요.",
           "등대지기가 모든 분께 안부를 전합니다.",
           "분기 운송 보고서는 공유 폴더에 있습니다.",
           "내일은 바람이 강하고 파도가 높겠습니다."],
}

# Marker words: each occurs in its language's sentences above (tests search for them).
MARKERS = {
    "de": ["Süderoog", "Liegegebühren", "Änderungen"],
    "fr": ["l’île", "précises", "écluse"],
    "ru": ["причала", "маяка", "перевозках"],
    "ja": ["渡し船", "桟橋", "灯台"],
    "zh-hans": ["渡轮", "码头", "灯塔"],
    "zh-hant": ["渡輪", "碼頭", "燈塔"],
    "he": ["המעבורת", "המגדלור", "ההובלות"],
    "ko": ["여객선은", "부두에서", "등대지기가"],
}

# Subjects per language (ours), for RFC 2047 encoded words.
SUBJECTS = {
    "de": "Änderung am Fahrplan für Süderoog",
    "fr": "Horaires d’été du bac – à vérifier",
    "ru": "Новое расписание парома",
    "ja": "渡し船の新しい時刻表について",
    "zh-hans": "渡轮新时刻表",
    "zh-hant": "渡輪新時刻表",
    "he": "לוח זמנים חדש למעבורת",
    "ko": "여객선 새 시간표",
}


def check_markers():
    """Every marker word is in its sentences: a typo here would make a test vacuous."""
    for lang, words in MARKERS.items():
        text = " ".join(SENTENCES[lang])
        for w in words:
            if w not in text:
                raise AssertionError("marker %r not in %s sentences" % (w, lang))


def person(rng):
    first, last = rng.choice(FIRST), rng.choice(LAST)
    return "%s %s" % (first, last), "%s.%s@%s" % (first.lower(), last.lower(), rng.choice(DOMAINS))


def sentence(rng):
    s = "%s the %s %s %s the %s %s." % (rng.choice(_OPEN), rng.choice(_ADJ), rng.choice(_NOUN),
                                        rng.choice(_VERB), rng.choice(_NOUN), rng.choice(_TAIL))
    return s


def paragraph(rng, n=None):
    n = n if n is not None else rng.between(2, 5)
    return " ".join(sentence(rng) for _ in range(n))


def wrap(text, width=72):
    """Plain greedy word wrap (lines end without a line break)."""
    lines, line = [], ""
    for word in text.split(" "):
        if line and len(line) + 1 + len(word) > width:
            lines.append(line)
            line = word
        else:
            line = word if not line else line + " " + word
    if line:
        lines.append(line)
    return lines


def english_body(rng, paragraphs=None):
    """A few wrapped paragraphs, each line ending in LF, as str."""
    n = paragraphs if paragraphs is not None else rng.between(1, 4)
    out = []
    for _ in range(n):
        out.append("\n".join(wrap(paragraph(rng))) + "\n")
    return "\n".join(out)


def foreign_body(lang, rng, n=5):
    """The language's first four sentences (they hold its markers), then n - 4 more, one per line."""
    sents = SENTENCES[lang]
    picked = list(sents[:4]) + [rng.choice(sents) for _ in range(max(0, n - 4))]
    return "\n".join(picked) + "\n"


def subject_words(rng):
    return "%s %s %s" % (rng.choice(_ADJ), rng.choice(_NOUN), rng.choice(_TAIL))
