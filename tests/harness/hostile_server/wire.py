"""What both protocols of hostile-server share: reading the client's lines, and
the ways of sending that a script can choose (all at once, one byte a second,
without end)."""

import time

# A stream "without end" stops here all the same, so that a client that keeps
# reading (today's mailferry reads a line that never ends into memory) cannot
# take the test machine with it. Large enough that no bounded client gets there.
ENDLESS_CAP = 1536 << 20

CHUNK = 64 << 10


class Wire:
    """A connection's two directions: lines in (CRLF or LF), bytes out."""

    def __init__(self, sock):
        self.sock = sock
        self.buf = b""

    def read_line(self, limit=1 << 20):
        """A line without its line ending; None when the client closed."""
        while b"\n" not in self.buf:
            if len(self.buf) > limit:
                raise ValueError("client line too long")
            data = self.sock.recv(CHUNK)
            if not data:
                return None
            self.buf += data
        line, _, self.buf = self.buf.partition(b"\n")
        return line[:-1] if line.endswith(b"\r") else line

    def read_exact(self, n):
        while len(self.buf) < n:
            data = self.sock.recv(CHUNK)
            if not data:
                raise ValueError("client closed inside a literal")
            self.buf += data
        out, self.buf = self.buf[:n], self.buf[n:]
        return out

    def send(self, data):
        if isinstance(data, str):
            data = data.encode("utf-8", "surrogateescape")
        self.sock.sendall(data)

    def trickle(self, data, seconds_per_byte=1.0, max_seconds=600):
        """One byte at a time, a pause between each: the server that is never quite silent."""
        start = time.monotonic()
        for i in range(len(data)):
            if time.monotonic() - start > max_seconds:
                return
            self.sock.sendall(data[i:i + 1])
            time.sleep(seconds_per_byte)

    def endless(self, chunk, cap=ENDLESS_CAP):
        """chunk again and again, as fast as the client takes it, up to cap bytes; then closes."""
        sent = 0
        block = chunk * max(1, CHUNK // len(chunk))
        while sent < cap:
            self.sock.sendall(block)
            sent += len(block)
        return sent

    def start_tls(self, upgrade, answer):
        """STARTTLS or STLS: sends answer (the OK, and whatever a script puts
        after it in the same packet), then the TLS handshake. A client that
        sent more before the handshake is out of step: that is dropped."""
        self.send(answer)
        self.buf = b""
        self.sock = upgrade(self.sock)

    def close_notify(self):
        """Ends TLS properly (close_notify), as a server that says goodbye does, then the socket."""
        try:
            self.sock.unwrap()
        except (OSError, ValueError):
            pass
