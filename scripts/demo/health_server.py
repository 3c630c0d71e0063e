"""A stand-in for AqStream's services, run by scripts/demo.sh and by the Docker tests'
`app` service. GET /actuator/health answers like Spring Boot's actuator: 200 and
{"status": "UP"} only while every database in HEALTH_DATABASES accepts a query (psql with
the libpq environment: PGHOST, PGPORT, PGUSER, PGPASSWORD) and S3 accepts connections on
127.0.0.1:S3_PORT; else 503 and {"status": "DOWN"}, naming what is down.
Listens on 127.0.0.1:APP_PORT only."""
import json, os, signal, socket, subprocess, sys
from http.server import BaseHTTPRequestHandler, HTTPServer


def database_up(name):
    try:
        return subprocess.run(["psql", "-X", "-w", "-q", "-A", "-t", "-c", "SELECT 1", "-d", name],
                              capture_output=True, timeout=3).returncode == 0
    except (OSError, subprocess.TimeoutExpired):
        return False


def s3_up():
    try:
        socket.create_connection(("127.0.0.1", int(os.environ["S3_PORT"])), timeout=1).close()
        return True
    except OSError:
        return False


class Health(BaseHTTPRequestHandler):
    def do_GET(self):
        if self.path != "/actuator/health":
            self.send_error(404)
            return
        parts = {"db:" + name: database_up(name) for name in os.environ.get("HEALTH_DATABASES", "").split()}
        parts["s3"] = s3_up()
        up = all(parts.values())
        body = json.dumps({"status": "UP" if up else "DOWN",
                           "components": {k: {"status": "UP" if v else "DOWN"} for k, v in parts.items()}}).encode()
        try:
            self.send_response(200 if up else 503)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client gave up waiting (a health check's timeout); nothing to answer

    def log_message(self, fmt, *args):
        print("app: " + fmt % args, flush=True)


# As PID 1 (in a container) the process gets no default SIGTERM handler: exit promptly on stop.
signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
HTTPServer(("127.0.0.1", int(os.environ["APP_PORT"])), Health).serve_forever()
