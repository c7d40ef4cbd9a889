"""POP3 for hostile-server: RFC 1939 with CAPA (RFC 2449) and STLS (RFC 2595),
enough for `mailferry fetch pop3s://...` (or pop3://) with and without
--delete-after-fetch, and the scripts. DELE and QUIT are written to the event log ("dele N", "quit
deleted=N,M"), so that a test can tell what would have been deleted."""

from imap_scripts import message
from wire import Wire


class Pop3Script:
    """A well-behaved maildrop: three messages, each with a UIDL of its own."""

    plain = False  # True: plain text until STLS (pop3://), else implicit TLS (pop3s://)
    only_tls = None  # an ssl.TLSVersion name ("TLSv1"): the only version offered, else 1.2 and later
    offers_stls = True  # in CAPA, while plain

    def __init__(self):
        self.messages = [message(n) for n in (1, 2, 3)]
        self.uidls = ["uidl-1", "uidl-2", "uidl-3"]

    def retr(self, w, number):
        """Sends RETR's answer for message `number`; False ends the connection."""
        w.send(b"+OK message follows\r\n" + stuff(self.messages[number - 1]) + b".\r\n")
        return True

    def stls_answer(self):
        """What goes out, in one packet, between STLS and the handshake."""
        return b"+OK Begin TLS negotiation\r\n"


def stuff(body):
    """Dot-stuffed, ending with CRLF, as RETR sends it (RFC 1939 §3)."""
    lines = body.split(b"\r\n")
    if lines and lines[-1] == b"":
        lines.pop()
    return b"".join((b"." + l if l.startswith(b".") else l) + b"\r\n" for l in lines)


def number_arg(args, count):
    try:
        n = int(args.split()[0])
    except (ValueError, IndexError):
        return None
    return n if 1 <= n <= count else None


def do_list(w, script, uidl):
    w.send("+OK listing follows\r\n")
    for n, body in enumerate(script.messages, 1):
        w.send("%d %s\r\n" % (n, script.uidls[n - 1] if uidl else len(body)))
    w.send(".\r\n")


def serve(script, sock, number, log, upgrade):
    w = Wire(sock)
    plain = script.plain
    w.send("+OK hostile POP3 server ready\r\n")
    deleted = []
    while True:
        line = w.read_line()
        if line is None:
            return
        command, _, args = line.decode("utf-8", "surrogateescape").partition(" ")
        command = command.upper()
        log(number, "cmd %s" % (command if command != "PASS" else "PASS (hidden)"))
        count = len(script.messages)
        if command == "CAPA":
            stls = "STLS\r\n" if plain and script.offers_stls else ""
            w.send("+OK capabilities\r\nUSER\r\nUIDL\r\nTOP\r\n%s.\r\n" % stls)
        elif command == "STLS" and plain and script.offers_stls:
            plain = False
            w.start_tls(upgrade, script.stls_answer())
            log(number, "tls started")
        elif command in ("USER", "PASS", "NOOP", "RSET"):
            w.send("+OK\r\n")
        elif command == "STAT":
            w.send("+OK %d %d\r\n" % (count, sum(len(m) for m in script.messages)))
        elif command in ("LIST", "UIDL") and not args:
            do_list(w, script, command == "UIDL")
        elif command == "RETR" and number_arg(args, count):
            if not script.retr(w, number_arg(args, count)):
                log(number, "retr ended the connection")
                return
        elif command == "DELE" and number_arg(args, count):
            deleted.append(number_arg(args, count))
            log(number, "dele %d" % deleted[-1])
            w.send("+OK marked\r\n")
        elif command == "QUIT":
            log(number, "quit deleted=%s" % ",".join(str(n) for n in deleted))
            w.send("+OK bye\r\n")
            return
        else:
            w.send("-ERR not in this script\r\n")


# -- the scripts ---------------------------------------------------------------

class DuplicateUidl(Pop3Script):
    """Messages 1 and 2 have one UIDL between them ("dup"); 3 has its own."""

    def __init__(self):
        super().__init__()
        self.uidls = ["dup", "dup", "uidl-3"]


class EndlessRetr(Pop3Script):
    """RETR 2 never ends: line after line, never the final "."."""

    def retr(self, w, number):
        if number != 2:
            return super().retr(w, number)
        w.send(b"+OK message follows\r\n" + stuff(self.messages[1]))
        w.endless(b"y" * 76 + b"\r\n")
        return False


class TrickleRetr(Pop3Script):
    """RETR 2 comes one byte a second."""

    def __init__(self):
        super().__init__()
        self.messages[1] = message(2, " " + "slow " * 400)

    def retr(self, w, number):
        if number != 2:
            return super().retr(w, number)
        w.send(b"+OK message follows\r\n")
        w.trickle(stuff(self.messages[1]) + b".\r\n")
        return False


class Stls(Pop3Script):
    """pop3:// with STLS, done right: the control of the next scripts."""

    plain = True


class StlsInjection(Stls):
    """STLS answered +OK, and in the same packet, before the TLS handshake, a
    CAPA answer the client would read as if it came over TLS (CVE-2011-0411)."""

    def stls_answer(self):
        return super().stls_answer() + b"+OK capabilities\r\nUSER\r\n.\r\n"


class StlsStripped(Stls):
    """pop3:// whose CAPA has no STLS, as a man in the middle leaves it."""

    offers_stls = False


class Tls10(Pop3Script):
    """pop3s:// that offers only TLS 1.0, which RFC 8996 retired."""

    only_tls = "TLSv1"


def _server(cls):
    def handler(sock, number, log, upgrade):
        serve(cls(), sock, number, log, upgrade)
    handler.plain = cls.plain
    handler.only_tls = cls.only_tls
    return handler


SCRIPTS = {
    "pop3-duplicate-uidl": _server(DuplicateUidl),
    "pop3-endless-retr": _server(EndlessRetr),
    "pop3-trickle-retr": _server(TrickleRetr),
    "pop3-plain": _server(Pop3Script),
    "pop3-stls": _server(Stls),
    "pop3-stls-injection": _server(StlsInjection),
    "pop3-stls-stripped": _server(StlsStripped),
    "pop3-tls10": _server(Tls10),
}
