import contextlib
import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest


class FakeRobot:
    """A 企业微信 robot on 127.0.0.1: records what is POSTed; `mode` says how it answers ("ok", "500", "slow",
    "errcode")."""

    def __init__(self) -> None:
        self.mode = "ok"
        self.received: list[dict] = []
        self.paths: list[str] = []
        robot = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # http.server's name
                body = self.rfile.read(int(self.headers["Content-Length"]))
                robot.paths.append(self.path)
                if robot.mode == "slow":
                    time.sleep(1.5)
                if robot.mode == "500":
                    self.send_response(500)
                    self.end_headers()
                    return
                robot.received.append(json.loads(body))
                answer = {"errcode": 93000, "errmsg": "invalid webhook url"} if robot.mode == "errcode" else {
                    "errcode": 0, "errmsg": "ok"}  # fmt: skip
                data = json.dumps(answer).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                with contextlib.suppress(OSError):  # the client gave up (the timeout test)
                    self.wfile.write(data)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def url(self, key: str = "s3cr3t-robot-key-0001") -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/cgi-bin/webhook/send?key={key}"

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def fake_robot(settings):
    settings.WECOM_TIMEOUT_SECONDS = 0.5
    robot = FakeRobot()
    yield robot
    robot.stop()
