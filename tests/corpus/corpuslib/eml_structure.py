"""eml/structure and eml/nesting: MIME trees (alternative, mixed, related,
digest, embedded messages, big and oddly named attachments, nesting past the
parser's depth limit of 20 in src/mime/text_limits.hpp)."""

import base64

from . import kinds, text
from .emlfolder import EmlFolder
from .mime import attachment_part, basic_mail, ew_b, multipart_body, part, plain_sender, text_part, utc
from .rng import pseudo_bytes

LIMIT = 20  # TextLimits::max_depth: nested multiparts and embedded messages


def _mail(rng, ids, n, subject, ctype):
    m = basic_mail(plain_sender(*text.person(rng)), "crew@example.org", subject, subject,
                   utc(2018, 1, 1) + n * 86400 * 11, 60, ids.next())
    m.add("MIME-Version", "1.0").add("Content-Type", ctype)
    return m


def _b64_word_part(rng, word, subtype="plain"):
    body = "%s Marker %s.\n" % (text.paragraph(rng, 1), word)
    if subtype == "html":
        body = "<html><body><p>%s</p></body></html>\n" % body.strip()
    return text_part(body, "utf-8", "base64", subtype)


def _attachment(name, size, ctype="application/octet-stream"):
    return attachment_part(('; name="%s"' % name, '; filename="%s"' % name), pseudo_bytes(name, size), ctype)


def _image(name, cid):
    return part([("Content-Type", 'image/png; name="%s"' % name), ("Content-Transfer-Encoding", "base64"),
                 ("Content-ID", "<%s>" % cid), ("Content-Disposition", 'inline; filename="%s"' % name)],
                base64.encodebytes(pseudo_bytes(name, 700)))


def structure(root, rng):
    f = EmlFolder(root, "eml/structure", ["mime-structure"])
    ids = kinds.Ids("structure", "example.org")
    f.put("alternative.eml", kinds.alternative(rng, ids, utc(2018, 1, 1), "crew@example.org", 601))
    f.put("mixed.eml", _mixed(rng, ids))
    f.put("related.eml", _related(rng, ids))
    f.put("nested-3.eml", _nested_three(rng, ids))
    f.put("rfc822.eml", kinds.forwarded(rng, ids, utc(2018, 3, 3), "crew@example.org", 602))
    f.put("rfc822-attachment.eml", _rfc822_attachment(rng, ids))
    f.put("digest.eml", _digest(rng, ids))
    f.put("big-attachment.eml", _big_attachment(rng, ids))
    f.put("rfc2231-names.eml", _rfc2231(rng, ids))
    f.put("rfc2047-names.eml", _rfc2047_names(rng, ids))
    f.put("html-only.eml", kinds.html_only(rng, ids, utc(2018, 9, 9), "crew@example.org", 603, "base64"))
    f.put("attachment-only.eml", _attachment_only(rng, ids))
    hidden = kinds.token("notes", 1)
    f.put("text-attachment.eml", _text_attachment(rng, ids, hidden), not_words=[hidden])
    more = rng.fork("more-structure")  # added later: the files above keep their bytes
    f.put("enriched.eml", _enriched(more, ids))
    f.put("pgp-signed.eml", _pgp_signed(more, ids))
    f.put("pgp-encrypted.eml", _pgp_encrypted(more, ids))
    f.put("smime-signed.eml", _smime_signed(more, ids))
    f.put("smime-encrypted.eml", _smime_encrypted(more, ids))
    older = rng.fork("older-mailers")  # added later still: the files above keep their bytes
    f.put("richtext.eml", _richtext(older, ids))
    notes = kinds.token("namenotes", 1)
    f.put("name-only-attachment.eml", _name_only_attachment(older, ids, notes), not_words=[notes])
    f.put("alternative-empty-html.eml", _alternative_empty_html(older, ids))
    return f.manifest()


def _richtext(rng, ids):
    """text/richtext (RFC 1341, what text/enriched replaced), base64, no charset:
    formatting commands are not text; a raw line break is a space, <nl> a break."""
    word = kinds.token("richtext", 1)
    m = _mail(rng, ids, 18, "Richtext: winter crossings", "text/richtext")
    m.add("Content-Transfer-Encoding", "base64")
    body = ("<bold>Winter crossings</bold><nl>\n<italic>%s</italic><nl>\n<nl>\n"
            "<underline>Marker %s.</underline><nl>\n" % (text.paragraph(rng, 1), word))
    m.body = base64.encodebytes(body.encode())
    m.words = [word]
    return m.trait("richtext", "cte:base64")


def _name_only_attachment(rng, ids, hidden):
    """As Outlook and older mailers write it: every parameter folded onto a line
    of its own after a tab, and an attachment named only by Content-Type's name
    (no Content-Disposition). Its text is not the message's; the body's charset
    is only right if the folded parameter is read."""
    m = _mail(rng, ids, 19, "Notes for the crew", 'multipart/mixed;\n\tboundary="----=_NextPart_000_0019"')
    body = part([("Content-Type", 'text/plain;\n\tcharset="iso-8859-1"'), ("Content-Transfer-Encoding", "8bit")],
                text.foreign_body("de", rng).encode("iso-8859-1"))
    notes = part([("Content-Type", 'text/plain;\n\tcharset="us-ascii";\n\tname="crew-notes.txt"'),
                  ("Content-Transfer-Encoding", "7bit")], ("For the crew only: %s.\n" % hidden).encode())
    m.body = multipart_body("----=_NextPart_000_0019", [body, notes],
                            preamble=b"This is a multi-part message in MIME format.\n")
    m.words = [w for w in text.MARKERS["de"] if not w.isascii()]
    m.attachments = ["crew-notes.txt"]
    return m.trait("mixed", "attachment", "name-only-attachment", "folded-header", "charset:iso-8859-1")


def _alternative_empty_html(rng, ids):
    """An alternative whose HTML part is empty and names no charset, as some
    mobile mailers send it: the plain part holds the text."""
    word = kinds.token("emptyhtml", 1)
    m = _mail(rng, ids, 20, "Sent from the quay", 'multipart/alternative; boundary="alt-empty"')
    html = part([("Content-Type", "text/html"), ("Content-Transfer-Encoding", "7bit")], b"\n")
    m.body = multipart_body("alt-empty", [_b64_word_part(rng, word), html])
    m.words = [word]
    return m.trait("alternative", "html", "empty-html")


def _enriched(rng, ids):
    """text/enriched (RFC 1896) in quoted-printable: formatting commands are not text, "<<" is a "<"."""
    word = kinds.token("enriched", 1)
    m = _mail(rng, ids, 13, "Enriched text", "text/enriched; charset=utf-8")
    m.add("Content-Transfer-Encoding", "base64")
    body = ("<bold>Crossing times</bold> for <italic>next week</italic>:\n\n"
            "<excerpt>%s</excerpt>\n\n<color><param>red</param>Marker %s.</color>\n"
            "Depth at the pier <<= 4 m.\n" % (text.paragraph(rng, 1), word))
    m.body = base64.encodebytes(body.encode())
    m.words = [word]
    return m.trait("enriched", "cte:base64")


def _armor(kind, label, size):
    data = base64.encodebytes(pseudo_bytes(label, size)).decode()
    return ("-----BEGIN PGP %s-----\n\n%s=%s\n-----END PGP %s-----\n" %
            (kind, data, base64.b64encode(pseudo_bytes(label + "-crc", 3)).decode(), kind)).encode()


def _pgp_signed(rng, ids):
    """PGP/MIME signed (RFC 3156): the signed text in base64, then the signature (invented bytes)."""
    word = kinds.token("pgpsig", 1)
    m = _mail(rng, ids, 14, "Signed: pier schedule",
              'multipart/signed; micalg=pgp-sha256; protocol="application/pgp-signature"; boundary="sig-1"')
    sig = part([("Content-Type", 'application/pgp-signature; name="signature.asc"'),
                ("Content-Description", "OpenPGP digital signature"),
                ("Content-Disposition", 'attachment; filename="signature.asc"')], _armor("SIGNATURE", "pgp-sig", 119))
    m.body = multipart_body("sig-1", [_b64_word_part(rng, word), sig],
                            preamble=b"This is an OpenPGP/MIME signed message (RFC 4880 and 3156)\n")
    m.words, m.attachments = [word], ["signature.asc"]
    return m.trait("pgp-signed", "attachment")


def _pgp_encrypted(rng, ids):
    """PGP/MIME encrypted: the version part and the ciphertext (invented bytes), no readable text."""
    m = _mail(rng, ids, 15, "Encrypted: door codes",
              'multipart/encrypted; protocol="application/pgp-encrypted"; boundary="enc-1"')
    version = part([("Content-Type", "application/pgp-encrypted"), ("Content-Description", "PGP/MIME version identification")],
                   b"Version: 1\n")
    data = part([("Content-Type", 'application/octet-stream; name="encrypted.asc"'),
                 ("Content-Description", "OpenPGP encrypted message"),
                 ("Content-Disposition", 'inline; filename="encrypted.asc"')], _armor("MESSAGE", "pgp-enc", 600))
    m.body = multipart_body("enc-1", [version, data],
                            preamble=b"This is an OpenPGP/MIME encrypted message (RFC 4880 and 3156)\n")
    m.attachments = ["encrypted.asc"]
    return m.trait("pgp-encrypted", "attachment")


def _smime_signed(rng, ids):
    """S/MIME clear-signed (RFC 8551): an alternative with its text, then smime.p7s (invented bytes)."""
    word = kinds.token("smimesig", 1)
    m = _mail(rng, ids, 16, "Signed (S/MIME): invoice",
              'multipart/signed; protocol="application/pkcs7-signature"; micalg=sha-256; boundary="smime-1"')
    p7s = attachment_part(('; name="smime.p7s"', '; filename="smime.p7s"'), pseudo_bytes("smime.p7s", 1800),
                          "application/pkcs7-signature")
    inner = part([("Content-Type", 'multipart/alternative; boundary="smime-alt"')],
                 multipart_body("smime-alt", [_b64_word_part(rng, word), _b64_word_part(rng, word, "html")]))
    m.body = multipart_body("smime-1", [inner, p7s], preamble=b"This is a cryptographically signed message in MIME format.\n")
    m.words, m.attachments = [word], ["smime.p7s"]
    return m.trait("smime-signed", "alternative", "attachment")


def _smime_encrypted(rng, ids):
    """S/MIME enveloped data: the whole message is smime.p7m (invented bytes)."""
    m = _mail(rng, ids, 17, "Encrypted (S/MIME)", 'application/pkcs7-mime; smime-type=enveloped-data; name="smime.p7m"')
    m.add("Content-Transfer-Encoding", "base64").add("Content-Disposition", 'attachment; filename="smime.p7m"')
    m.add("Content-Description", "S/MIME Encrypted Message")
    m.body = base64.encodebytes(pseudo_bytes("smime.p7m", 2400))
    m.attachments = ["smime.p7m"]
    return m.trait("smime-encrypted", "body-is-attachment", "attachment")


def _mixed(rng, ids):
    m = _mail(rng, ids, 1, "Two attachments", 'multipart/mixed; boundary="mix-1"')
    m.body = multipart_body("mix-1", [text_part(text.english_body(rng, 1), "us-ascii", "7bit"),
                                      _attachment("quay-survey.pdf", 4000, "application/pdf"),
                                      _attachment("crane.png", 2500, "image/png")])
    m.attachments = ["quay-survey.pdf", "crane.png"]
    return m.trait("mixed", "attachment")


def _related(rng, ids):
    word = kinds.token("rel", 1)
    m = _mail(rng, ids, 2, "Related: HTML with its picture", 'multipart/related; type="text/html"; boundary="rel-1"')
    m.body = multipart_body("rel-1", [_b64_word_part(rng, word, "html"), _image("logo.png", "logo@example.org")])
    m.words, m.attachments = [word], ["logo.png"]
    return m.trait("related", "html")


def _big_attachment(rng, ids):
    m = _mail(rng, ids, 7, "The photos (5 MB)", 'multipart/mixed; boundary="big-1"')
    m.body = multipart_body("big-1", [text_part("All photos of the new pier, zipped.\n", "us-ascii", "7bit"),
                                      _attachment("harbour-photos.zip", 5 * 1024 * 1024, "application/zip")])
    m.attachments = ["harbour-photos.zip"]
    return m.trait("attachment", "attachment:5mb")


def _attachment_only(rng, ids):
    """The message itself is the attachment: no body text at all."""
    m = _mail(rng, ids, 11, "Timetable", 'application/pdf; name="Fahrplan.pdf"')
    m.add("Content-Transfer-Encoding", "base64").add("Content-Disposition", 'attachment; filename="Fahrplan.pdf"')
    m.body = base64.encodebytes(pseudo_bytes("Fahrplan.pdf", 3000))
    m.attachments = ["Fahrplan.pdf"]
    return m.trait("body-is-attachment", "attachment")


def _text_attachment(rng, ids, hidden):
    """A text/plain attachment: its words are not the message's text."""
    m = _mail(rng, ids, 12, "Notes attached as text", 'multipart/mixed; boundary="txt-1"')
    notes = part([("Content-Type", 'text/plain; charset=utf-8; name="notes.txt"'), ("Content-Transfer-Encoding", "base64"),
                  ("Content-Disposition", 'attachment; filename="notes.txt"')],
                 base64.encodebytes(("Private notes %s.\n" % hidden).encode()))
    m.body = multipart_body("txt-1", [text_part(text.english_body(rng, 1), "us-ascii", "7bit"), notes])
    m.attachments = ["notes.txt"]
    return m.trait("attachment", "text-attachment")


def _nested_three(rng, ids):
    """mixed > alternative > related > html: three levels, names in message order."""
    word = kinds.token("nest", 3)
    related = part([("Content-Type", 'multipart/related; boundary="n3-related"')],
                   multipart_body("n3-related", [_b64_word_part(rng, word, "html"), _image("map.png", "map@example.org")]))
    plain_alt = text_part("Plain version. Marker %s.\n" % word, "utf-8", "base64")
    alt = part([("Content-Type", 'multipart/alternative; boundary="n3-alt"')], multipart_body("n3-alt", [plain_alt, related]))
    m = _mail(rng, ids, 3, "Three levels deep", 'multipart/mixed; boundary="n3-mixed"')
    m.body = multipart_body("n3-mixed", [alt, _attachment("plan.pdf", 2000, "application/pdf")])
    m.words, m.attachments = [word], ["map.png", "plan.pdf"]
    return m.trait("nested", "depth:3", "alternative", "related", "mixed")


def _inner_message(rng, ids, n, word):
    inner = basic_mail(plain_sender(*text.person(rng)), "crew@example.org", "Inner %d" % n, "Inner %d" % n,
                       utc(2017, 5, 5) + n * 3600, 0, ids.next())
    inner.add("MIME-Version", "1.0")
    inner.headers += [("Content-Type", "text/plain; charset=utf-8"), ("Content-Transfer-Encoding", "base64")]
    inner.body = base64.encodebytes(("%s Marker %s.\n" % (text.paragraph(rng, 1), word)).encode())
    return inner.to_bytes()


def _rfc822_attachment(rng, ids):
    m = _mail(rng, ids, 5, "The old thread, attached", 'multipart/mixed; boundary="att-822"')
    inner = part([("Content-Type", 'message/rfc822; name="old-thread.eml"'),
                  ("Content-Disposition", 'attachment; filename="old-thread.eml"')],
                 _inner_message(rng, ids, 1, kinds.token("att822", 1)))
    m.body = multipart_body("att-822", [text_part("The old thread is attached.\n", "us-ascii", "7bit"), inner])
    m.attachments = ["old-thread.eml"]
    return m.trait("rfc822", "attachment")


def _digest(rng, ids):
    words = [kinds.token("digest", k) for k in range(3)]
    m = _mail(rng, ids, 6, "Harbour list digest, vol 3", 'multipart/mixed; boundary="dig-outer"')
    digest = multipart_body("dig-inner", [b"\n" + _inner_message(rng, ids, 10 + k, w) for k, w in enumerate(words)])
    m.body = multipart_body("dig-outer", [text_part("Today's topics: three.\n", "us-ascii", "7bit"),
                                          part([("Content-Type", 'multipart/digest; boundary="dig-inner"')], digest)])
    m.words = words
    return m.trait("digest", "rfc822")


def _rfc2231(rng, ids):
    m = _mail(rng, ids, 8, "Names in RFC 2231", 'multipart/mixed; boundary="r2231"')
    a = attachment_part(("; name*0*=utf-8''%C3%9Cbersicht%20der; name*1*=%20Liegepl%C3%A4tze; name*2=\".pdf\"",
                         "; filename*0*=utf-8''%C3%9Cbersicht%20der;\n filename*1*=%20Liegepl%C3%A4tze;\n filename*2=\".pdf\""),
                        pseudo_bytes("2231-a", 1500), "application/pdf")
    b = attachment_part(("; name*=iso-8859-1'de'Gr%FC%DFe%20vom%20Hafen.txt",
                         "; filename*=iso-8859-1'de'Gr%FC%DFe%20vom%20Hafen.txt"), pseudo_bytes("2231-b", 400), "text/plain")
    c = attachment_part(('; name*0="a rather long file name that was "; name*1="split in two pieces.txt"',
                         '; filename*0="a rather long file name that was ";\n filename*1="split in two pieces.txt"'),
                        pseudo_bytes("2231-c", 300))
    m.body = multipart_body("r2231", [text_part("Three files, three ways to name them.\n", "us-ascii", "7bit"), a, b, c])
    m.attachments = ["Übersicht der Liegeplätze.pdf", "Grüße vom Hafen.txt",
                     "a rather long file name that was split in two pieces.txt"]
    return m.trait("rfc2231-name", "rfc2231-continuation", "attachment")


def _rfc2047_names(rng, ids):
    m = _mail(rng, ids, 9, "Names in encoded words", 'multipart/mixed; boundary="r2047"')
    names = [("Список причалов.doc", "utf-8", "application/msword"), ("渡し船の時刻表.pdf", "iso-2022-jp", "application/pdf")]
    parts = [text_part("Two files with encoded names.\n", "us-ascii", "7bit")]
    for k, (name, charset, ctype) in enumerate(names):
        enc = ew_b(name, charset).replace("\n ", "")
        parts.append(attachment_part(('; name="%s"' % enc, '; filename="%s"' % enc), pseudo_bytes(name, 800 + k), ctype))
    m.body = multipart_body("r2047", parts)
    m.attachments = [n for n, _, _ in names]
    return m.trait("rfc2047-name", "attachment")


def nesting(root, rng):
    """Multiparts nested N deep: the top level's text is always read; the
    innermost text only within the limit."""
    f = EmlFolder(root, "eml/nesting", ["nesting"])
    ids = kinds.Ids("nesting", "example.org")
    for depth in (19, 20, 21, 60):
        top, deep = kinds.token("top", depth), kinds.token("deep", depth)
        body = multipart_body("nest-%02d" % depth, [_b64_word_part(rng, deep)])
        for level in range(depth - 1, 0, -1):
            inner = part([("Content-Type", 'multipart/mixed; boundary="nest-%02d"' % (level + 1))], body)
            parts = [_b64_word_part(rng, top), inner] if level == 1 else [inner]
            body = multipart_body("nest-%02d" % level, parts)
        m = _mail(rng, ids, depth, "Nested %d deep" % depth, 'multipart/mixed; boundary="nest-01"')
        m.body = body
        m.trait("nested", "depth:%d" % depth)
        if depth <= LIMIT:
            m.words = [top, deep]
            f.put("depth-%d.eml" % depth, m)
        else:
            m.words = [top]
            f.put("depth-%d.eml" % depth, m.trait("text-incomplete"), not_words=[deep])
    f.put("rfc822-depth-25.eml", *_rfc822_chain(rng, ids, 25))
    return f.manifest()


def _rfc822_chain(rng, ids, depth):
    """A message holding a message holding a message... depth embedded messages."""
    deep = kinds.token("deep822", depth)
    inner = _inner_message(rng, ids, 99, deep)
    for _ in range(depth - 1):
        inner = part([("From", "relay@example.org"), ("Subject", "wrapped"), ("MIME-Version", "1.0"),
                      ("Content-Type", "message/rfc822")], inner)
    top = kinds.token("top822", depth)
    m = _mail(rng, ids, 40, "Wrapped %d times" % depth, 'multipart/mixed; boundary="chain"')
    m.body = multipart_body("chain", [_b64_word_part(rng, top), part([("Content-Type", "message/rfc822")], inner)])
    m.words = [top]
    return m.trait("rfc822", "depth:%d-rfc822" % depth, "text-incomplete"), None, b"", [deep]
