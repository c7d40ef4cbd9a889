"""IMAP for hostile-server: just enough of RFC 3501 for `mailferry fetch`
(CAPABILITY, STARTTLS, LOGIN, LIST, EXAMINE/SELECT, UID FETCH, NOOP, LOGOUT), and the
scripts, each a mailbox plus the one thing it does wrong."""

from wire import Wire

DATE = "01-Jan-2024 10:00:00 +0000"


def message(uid, note=""):
    text = ("From: Sender <sender@example.org>\r\n"
            "To: alice@example.org\r\n"
            "Subject: hostile server message %d%s\r\n"
            "Date: Mon, 1 Jan 2024 10:00:00 +0000\r\n"
            "Message-ID: <%d.hostile@example.org>\r\n"
            "\r\n"
            "Body of message %d.\r\n" % (uid, note, uid, uid))
    return text.encode()


class Msg:
    def __init__(self, uid, body=None, size=None, flags=("\\Seen",)):
        self.uid = uid
        self.body = body if body is not None else message(uid)
        self.size = len(self.body) if size is None else size  # what RFC822.SIZE says
        self.flags = flags


class Folder:
    def __init__(self, name, messages, uidvalidity=1700000000, attrs="\\HasNoChildren"):
        self.name = name  # bytes or str, as LIST sends it
        self.messages = messages
        self.uidvalidity = uidvalidity
        self.attrs = attrs


def imap_string(name):
    """A mailbox name as quoted string, or as literal when quoting cannot hold it."""
    raw = name.encode("utf-8", "surrogateescape") if isinstance(name, str) else name
    if any(b in b"\r\n\0" or b >= 0x80 for b in raw):
        return b"{%d}\r\n" % len(raw) + raw
    return b'"' + raw.replace(b"\\", b"\\\\").replace(b'"', b'\\"') + b'"'


def parse_set(text, top):
    """A UID set ("1:*", "2,5:7") as a predicate; '*' is the highest UID."""
    ranges = []
    for part in text.split(","):
        a, _, b = part.partition(":")
        lo = top if a == "*" else int(a)
        hi = lo if not b else (top if b == "*" else int(b))
        ranges.append((min(lo, hi), max(lo, hi)))
    return lambda uid: any(lo <= uid <= hi for lo, hi in ranges)


class Want:
    def __init__(self, items):
        u = items.upper()
        self.body = "BODY.PEEK[]" in u or "BODY[]" in u or "RFC822)" in u
        self.header = "HEADER.FIELDS" in u
        self.flags = "FLAGS" in u
        self.date = "INTERNALDATE" in u
        self.size = "RFC822.SIZE" in u


class ImapScript:
    """A well-behaved server; each script overrides the one answer it spoils."""

    plain = False  # True: plain text until STARTTLS (imap://), else implicit TLS (imaps://)
    only_tls = None  # an ssl.TLSVersion name ("TLSv1"): the only version offered, else 1.2 and later

    def __init__(self):
        self.folders = [Folder("INBOX", [Msg(1), Msg(2), Msg(3)])]

    # -- what scripts override ------------------------------------------------
    def fetch_one(self, w, folder, seq, msg, want):
        """Sends the FETCH response of one message; False ends the connection."""
        w.send(self.fetch_head(seq, msg, want))
        w.send(self.fetch_tail(msg, want))
        return True

    def after_fetch(self, w, folder, want, member):
        """Untagged responses after those asked for (nothing, when well-behaved);
        member(uid) says whether the command's UID set holds uid."""

    def examine_ok(self, folder):
        return True

    def starttls_answer(self, tag):
        """What goes out, in one packet, between STARTTLS and the handshake."""
        return b"%s OK Begin TLS negotiation now\r\n" % tag.encode()

    # -- the common parts -----------------------------------------------------
    def fetch_head(self, seq, msg, want, literal_size=None):
        items = ["UID %d" % msg.uid]
        if want.flags:
            items.append("FLAGS (%s)" % " ".join(msg.flags))
        if want.date:
            items.append('INTERNALDATE "%s"' % DATE)
        if want.size:
            items.append("RFC822.SIZE %d" % msg.size)
        head = "* %d FETCH (%s" % (seq, " ".join(items))
        if want.body:
            head += " BODY[] {%d}\r\n" % (len(msg.body) if literal_size is None else literal_size)
        return head.encode()

    def fetch_tail(self, msg, want):
        out = msg.body if want.body else b""
        if want.header:
            field = b"Message-ID: <%d.hostile@example.org>\r\n\r\n" % msg.uid
            out += b" BODY[HEADER.FIELDS (MESSAGE-ID)] {%d}\r\n" % len(field) + field
        return out + b")\r\n"

    def find(self, name):
        for f in self.folders:
            fname = f.name.decode("utf-8", "surrogateescape") if isinstance(f.name, bytes) else f.name
            if fname == name or (fname.upper() == "INBOX" and name.upper() == "INBOX"):
                return f
        return None


def read_command(w):
    """A command line with its literals ({n} and {n+}) folded in; None at EOF."""
    line = w.read_line()
    if line is None:
        return None
    while line.endswith(b"}") and b"{" in line:
        start = line.rindex(b"{")
        count = line[start + 1:-1].rstrip(b"+")
        if not count.isdigit():
            break
        if not line.endswith(b"+}"):
            w.send(b"+ go ahead\r\n")
        line = line[:start] + w.read_exact(int(count))
        rest = w.read_line()
        line += rest if rest is not None else b""
    return line.decode("utf-8", "surrogateescape")


def unquote(arg):
    arg = arg.strip()
    if len(arg) >= 2 and arg[0] == '"' and arg[-1] == '"':
        return arg[1:-1].replace('\\"', '"').replace("\\\\", "\\")
    return arg


def do_list(w, script, tag):
    for f in script.folders:
        w.send(b'* LIST (%s) "/" ' % f.attrs.encode() + imap_string(f.name) + b"\r\n")
    w.send("%s OK LIST done\r\n" % tag)


def do_examine(w, script, tag, name, state):
    folder = script.find(name)
    if folder is None or not script.examine_ok(folder):
        w.send("%s NO [NONEXISTENT] no such folder\r\n" % tag)
        return
    state["folder"] = folder
    top = max([m.uid for m in folder.messages] or [0])
    w.send("* FLAGS (\\Seen \\Answered \\Flagged \\Deleted \\Draft)\r\n"
           "* %d EXISTS\r\n* 0 RECENT\r\n"
           "* OK [UIDVALIDITY %d] ok\r\n* OK [UIDNEXT %d] ok\r\n"
           "%s OK [READ-ONLY] EXAMINE done\r\n" % (len(folder.messages), folder.uidvalidity, top + 1, tag))


def do_uid_fetch(w, script, tag, args, state, log, number):
    folder = state.get("folder")
    if folder is None:
        w.send("%s BAD no folder selected\r\n" % tag)
        return True
    uid_set, _, items = args.partition(" ")
    want = Want(items)
    top = max([m.uid for m in folder.messages] or [0])
    member = parse_set(uid_set, top)
    for seq, msg in enumerate(folder.messages, 1):
        if member(msg.uid):
            if not script.fetch_one(w, folder, seq, msg, want):
                log(number, "fetch ended the connection at uid=%d" % msg.uid)
                return False
    script.after_fetch(w, folder, want, member)
    w.send("%s OK UID FETCH done\r\n" % tag)
    return True


def serve(script, sock, number, log, upgrade):
    w = Wire(sock)
    state = {"starttls": script.plain}  # STARTTLS offered: plain text so far
    caps = lambda: "IMAP4rev1 AUTH=PLAIN" + (" STARTTLS" if state["starttls"] else "")  # noqa: E731
    w.send("* OK [CAPABILITY %s] hostile IMAP server ready\r\n" % caps())
    while True:
        line = read_command(w)
        if line is None:
            return
        tag, _, rest = line.partition(" ")
        command, _, args = rest.partition(" ")
        command = command.upper()
        if command == "UID":
            sub, _, args = args.partition(" ")
            command = "UID " + sub.upper()
        log(number, "cmd %s" % (command if command != "LOGIN" else "LOGIN (hidden)"))
        if command == "CAPABILITY":
            w.send("* CAPABILITY %s UIDPLUS\r\n%s OK done\r\n" % (caps(), tag))
        elif command == "STARTTLS" and state["starttls"]:
            state["starttls"] = False
            w.start_tls(upgrade, script.starttls_answer(tag))
            log(number, "tls started")
        elif command in ("LOGIN", "AUTHENTICATE"):
            w.send("%s OK logged in\r\n" % tag)
        elif command in ("LIST", "XLIST", "LSUB"):
            do_list(w, script, tag)
        elif command in ("EXAMINE", "SELECT"):
            do_examine(w, script, tag, unquote(args), state)
        elif command == "UID FETCH":
            if not do_uid_fetch(w, script, tag, args, state, log, number):
                return
        elif command == "LOGOUT":
            w.send("* BYE see you\r\n%s OK LOGOUT done\r\n" % tag)
            return
        elif command in ("NOOP", "CHECK", "ID", "ENABLE"):
            w.send("%s OK done\r\n" % tag)
        else:
            w.send("%s BAD not in this script\r\n" % tag)


# -- the scripts ---------------------------------------------------------------

class Literal4G(ImapScript):
    """UID 2 says RFC822.SIZE 2000 and then sends BODY[] {4294967296}; UID 4 says
    it is 4294967296 bytes outright. Both then stream without end."""

    def __init__(self):
        super().__init__()
        self.folders[0].messages.append(Msg(4, size=4294967296))

    def fetch_one(self, w, folder, seq, msg, want):
        if not want.body or msg.uid not in (2, 4):
            return super().fetch_one(w, folder, seq, msg, want)
        w.send(self.fetch_head(seq, msg, want, literal_size=4294967296))
        w.endless(b"x" * 76 + b"\r\n")
        return False


class EndlessLine(ImapScript):
    """UID 2's FETCH response is a line that never ends."""

    def fetch_one(self, w, folder, seq, msg, want):
        if not want.body or msg.uid != 2:
            return super().fetch_one(w, folder, seq, msg, want)
        w.send(b"* %d FETCH (UID 2 FLAGS (\\Seen " % seq)
        w.endless(b"a")
        return False


class Trickle(ImapScript):
    """UID 2's body comes one byte a second."""

    def __init__(self):
        super().__init__()
        self.folders[0].messages[1] = Msg(2, body=message(2, " " + "slow " * 400))

    def fetch_one(self, w, folder, seq, msg, want):
        if not want.body or msg.uid != 2:
            return super().fetch_one(w, folder, seq, msg, want)
        w.send(self.fetch_head(seq, msg, want))
        w.trickle(msg.body)
        return False


class Unrequested(ImapScript):
    """Every FETCH of bodies is answered with more than was asked: UID 99 and
    UID 4294967295, messages this mailbox does not have, bodies and all."""

    def after_fetch(self, w, folder, want, member):
        if not want.body:
            return
        for seq, uid in ((7, 99), (8, 4294967295)):
            if member(uid):
                continue
            stray = Msg(uid, body=message(uid, " (not asked for)"))
            w.send(self.fetch_head(seq, stray, want))
            w.send(self.fetch_tail(stray, want))


class UidMax(ImapScript):
    """A legitimate message with the highest UID there is (4294967295)."""

    def __init__(self):
        super().__init__()
        self.folders[0].messages = [Msg(1), Msg(2), Msg(4294967295)]


class ControlNames(ImapScript):
    """Folder names with ESC, an ANSI sequence, a tab, a bell, CR LF (as a literal)
    and the modified UTF-7 "&ABs-" (which decodes to ESC); the one with CR LF
    cannot be opened, so its name ends up in an error line."""

    NAMES = ["Esc\x1b[31mRed", "&ABs-Esc", "Tab\tName", "Bell\x07Ring", "Break\r\nLine"]

    def __init__(self):
        super().__init__()
        uid = 10
        for name in self.NAMES:
            self.folders.append(Folder(name, [Msg(uid)]))
            uid += 1

    def examine_ok(self, folder):
        return "\r\n" not in folder.name


class ByeMidLiteral(ImapScript):
    """UID 2's literal stops a fifth of the way in: a BYE, then a clean TLS close."""

    def __init__(self):
        super().__init__()
        self.folders[0].messages[1] = Msg(2, body=message(2, " " + "words " * 800))

    def fetch_one(self, w, folder, seq, msg, want):
        if not want.body or msg.uid != 2:
            return super().fetch_one(w, folder, seq, msg, want)
        w.send(self.fetch_head(seq, msg, want))
        w.send(msg.body[:len(msg.body) // 5] + b"\r\n* BYE server shutting down\r\n")
        w.close_notify()
        return False


class LongNames(ImapScript):
    """A 300-byte folder name, one nested 60 levels deep, and one of 100 dots
    (each written "\\2e" on disk): none fits in one file name as Maildir++ writes it."""

    def __init__(self):
        super().__init__()
        deep = "/".join("level%02d" % i for i in range(60))
        for uid, name in ((10, "L" * 300), (11, deep), (12, "." * 100), (13, "Normal")):
            self.folders.append(Folder(name, [Msg(uid)]))


class Starttls(ImapScript):
    """imap:// with STARTTLS, done right: the control of the next script."""

    plain = True


class StarttlsInjection(Starttls):
    """STARTTLS answered OK, and in the same packet, before the TLS handshake,
    a response the client would read as if it came over TLS (CVE-2011-0411)."""

    def starttls_answer(self, tag):
        return super().starttls_answer(tag) + b"* CAPABILITY IMAP4rev1 AUTH=PLAIN LOGINDISABLED\r\n"


class Tls10(ImapScript):
    """imaps:// that offers only TLS 1.0, which RFC 8996 retired."""

    only_tls = "TLSv1"


def _server(cls):
    def handler(sock, number, log, upgrade):
        serve(cls(), sock, number, log, upgrade)
    handler.plain = cls.plain
    handler.only_tls = cls.only_tls
    return handler


SCRIPTS = {
    "imap-literal-4g": _server(Literal4G),
    "imap-endless-line": _server(EndlessLine),
    "imap-trickle": _server(Trickle),
    "imap-unrequested": _server(Unrequested),
    "imap-uid-max": _server(UidMax),
    "imap-control-names": _server(ControlNames),
    "imap-bye-mid-literal": _server(ByeMidLiteral),
    "imap-long-names": _server(LongNames),
    "imap-plain": _server(ImapScript),
    "imap-starttls": _server(Starttls),
    "imap-starttls-injection": _server(StarttlsInjection),
    "imap-tls10": _server(Tls10),
}
