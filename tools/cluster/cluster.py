#!/usr/bin/env python3
"""The cluster test (docs/operations.md): three `ocop serve` behind nginx (deploy/nginx/nginx.conf)
on one PostgreSQL, files in an S3-compatible store (moto's server), e-mail to a real SMTP
listener (aiosmtpd). A mixed load runs for a bounded time: the public searching and verifying,
a producer filing dossiers with uploads, council members scoring, a provincial officer importing
and revoking. During it one server is killed with SIGKILL and restarted, and PostgreSQL is
restarted once. Afterwards it checks, and fails (exit 1) unless all hold:

- every acknowledged write is there (products, dossiers, evidence, the last saved card);
- no notice was e-mailed twice; the audit trail verifies;
- every stored file is readable and has its SHA-256 (`ocop backup` reads them all back);
- no 5xx outside the moments of the faults, and during them only the failures each fault may
  cause: a killed server's in-flight requests (nginx's 502), the database's absence (ocop's 503);
- revocations made during the run are seen as revoked by every server, asked directly;
- the import queued before the kill finished.

Everything listens on 127.0.0.1; figures are printed. Run by tools/cluster/run.sh.
"""

import argparse
import asyncio
import collections
import json
import os
import random
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
import uuid

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for(what, check, within=60.0):
    start = time.time()
    while time.time() - start < within:
        try:
            if check():
                return
        except Exception:
            pass
        time.sleep(0.2)
    raise SystemExit(f"cluster: {what} not reached within {within:.0f} s")


class Http:
    """A small client: JSON in and out, every answer recorded with its time and status."""

    def __init__(self, base, record):
        self.base = base
        self.record = record

    def call(self, method, path, token=None, body=None, headers=None, kind="", raw=None):
        url = self.base + path
        data = None
        all_headers = dict(headers or {})
        if token:
            all_headers["Authorization"] = f"Bearer {token}"
        if raw is not None:
            data = raw
        elif body is not None:
            data = json.dumps(body).encode()
            all_headers["Content-Type"] = "application/json"
        request = urllib.request.Request(url, data=data, method=method, headers=all_headers)
        started = time.time()
        try:
            with urllib.request.urlopen(request, timeout=60) as response:
                status, payload = response.status, response.read()
        except urllib.error.HTTPError as error:
            status, payload = error.code, error.read()
        except Exception as error:  # connection refused/reset: the load balancer is down
            status, payload = 0, str(error).encode()
        if self.record is not None:
            self.record(kind or path, method, status, started, time.time() - started)
        try:
            parsed = json.loads(payload) if payload else None
        except ValueError:
            parsed = None
        return status, parsed, payload

    def multipart(self, path, token, fields, files, kind):
        boundary = uuid.uuid4().hex
        parts = []
        for name, value in fields.items():
            parts.append(
                f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'.encode()
            )
        for name, (filename, content) in files.items():
            parts.append(
                f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"; filename="{filename}"\r\n'
                f"Content-Type: application/octet-stream\r\n\r\n".encode()
                + content
                + b"\r\n"
            )
        parts.append(f"--{boundary}--\r\n".encode())
        return self.call(
            "POST",
            path,
            token,
            raw=b"".join(parts),
            headers={"Content-Type": f"multipart/form-data; boundary={boundary}"},
            kind=kind,
        )


class Mailbox:
    """A real SMTP listener (aiosmtpd) keeping every message it was given."""

    def __init__(self):
        from aiosmtpd.controller import Controller

        self.messages = []
        self.lock = threading.Lock()
        box = self

        class Handler:
            async def handle_DATA(self, server, session, envelope):
                with box.lock:
                    box.messages.append((tuple(envelope.rcpt_tos), envelope.content))
                return "250 OK"

        self.port = free_port()
        self.controller = Controller(Handler(), hostname="127.0.0.1", port=self.port)
        self.controller.start()

    def stop(self):
        self.controller.stop()


class Cluster:
    def __init__(self, args, work):
        self.args = args
        self.work = work
        self.ocop = os.path.abspath(args.ocop)
        self.db_name = f"ocop_cluster_{os.getpid()}"
        self.db = f"postgres://postgres@127.0.0.1:5432/{self.db_name}"
        self.secret = os.path.join(work, "ocop.secret")
        self.processes = {}
        self.ports = [free_port() for _ in range(3)]
        self.nginx_port = free_port()
        self.env = dict(os.environ)

    # --- the pieces ---------------------------------------------------------------------
    def start_s3(self):
        port = free_port()
        self.s3 = subprocess.Popen(
            [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        endpoint = f"http://127.0.0.1:{port}"

        def bucket():
            request = urllib.request.Request(endpoint + "/ocop", method="PUT", data=b"")
            with urllib.request.urlopen(request, timeout=2) as response:
                return response.status == 200

        wait_for("the S3 server", bucket, 30)
        self.env.update(
            {
                "AWS_ENDPOINT_URL": endpoint,
                "AWS_ACCESS_KEY_ID": "cluster",
                "AWS_SECRET_ACCESS_KEY": "cluster",
                "AWS_REGION": "us-east-1",
                "OCOP_FILES": "s3://ocop/files",
                "OCOP_LOG": "warn,ocop=info",
            }
        )

    def run(self, *args, check=True):
        done = subprocess.run(
            [self.ocop, *args], env=self.env, capture_output=True, text=True
        )
        if check and done.returncode != 0:
            raise SystemExit(f"cluster: ocop {' '.join(args)} failed:\n{done.stdout}{done.stderr}")
        return done

    def start_server(self, n, demo=False):
        log = open(os.path.join(self.work, f"serve{n}.log"), "a")
        command = [
            self.ocop, "serve", "--db", self.db, "--addr", f"127.0.0.1:{self.ports[n]}",
            "--secret-file", self.secret, "--worker-interval", "1",
            "--smtp", f"smtp://127.0.0.1:{self.mailbox.port}",
            "--public-url", f"http://127.0.0.1:{self.nginx_port}",
            # All load comes from one address: nginx's limit is raised for the run instead.
            "--public-rate-limit", "0",
        ]
        if demo:
            command.append("--demo")
        self.processes[n] = subprocess.Popen(command, env=self.env, stdout=log, stderr=log)
        wait_for(
            f"server {n} ready",
            lambda: urllib.request.urlopen(
                f"http://127.0.0.1:{self.ports[n]}/readyz", timeout=2
            ).status == 200,
            180,
        )

    def write_nginx_conf(self, ports):
        """deploy/nginx/nginx.conf with this run's ports and servers (the lines marked cluster:)."""
        lines = []
        servers_written = False
        with open(os.path.join(ROOT, "deploy", "nginx", "nginx.conf")) as conf:
            for line in conf:
                if "# cluster: servers" in line:
                    if not servers_written:
                        for port in ports:
                            lines.append(
                                f"        server 127.0.0.1:{port} max_fails=1 fail_timeout=2s;\n"
                            )
                        servers_written = True
                    continue
                if "# cluster: listen" in line:
                    line = f"        listen 127.0.0.1:{self.nginx_port};\n"
                if "# cluster: rate" in line:
                    line = line.replace("rate=20r/s", "rate=100000r/s")
                lines.append(line)
        path = os.path.join(self.work, "nginx", "nginx.conf")
        with open(path, "w") as conf:
            conf.writelines(lines)
        return path

    def reload_nginx(self, ports):
        path = self.write_nginx_conf(ports)
        prefix = os.path.join(self.work, "nginx")
        subprocess.run(["nginx", "-p", prefix, "-c", path, "-s", "reload"], check=True)
        time.sleep(1.5)

    def start_nginx(self):
        prefix = os.path.join(self.work, "nginx")
        for sub in ["logs", "temp"]:
            os.makedirs(os.path.join(prefix, sub), exist_ok=True)
        # nginx's workers run as an unprivileged user and buffer bodies under temp/.
        os.chmod(self.work, 0o755)
        os.chmod(prefix, 0o755)
        os.chmod(os.path.join(prefix, "temp"), 0o777)
        path = self.write_nginx_conf(self.ports)
        self.nginx = subprocess.Popen(
            ["nginx", "-p", prefix, "-c", path, "-g", "daemon off;"],
            stdout=subprocess.DEVNULL,
            stderr=open(os.path.join(prefix, "logs", "stderr.log"), "w"),
        )
        wait_for(
            "nginx",
            lambda: urllib.request.urlopen(
                f"http://127.0.0.1:{self.nginx_port}/readyz", timeout=2
            ).status == 200,
        )

    def set_up(self):
        subprocess.run(
            ["dropdb", "-h", "127.0.0.1", "-U", "postgres", "--if-exists", self.db_name],
            check=True,
        )
        subprocess.run(["createdb", "-h", "127.0.0.1", "-U", "postgres", self.db_name], check=True)
        self.mailbox = Mailbox()
        self.start_s3()
        self.start_server(0, demo=True)
        for n in (1, 2):
            self.start_server(n)
        self.start_nginx()
        self.tokens = {}
        for who in ["sanxuat", "tinh", "chutich", "hoidong", "thanhvien1", "thanhvien2", "thanhvien3"]:
            out = self.run("token", "create", "--db", self.db, "--email", f"{who}@demo.ocop.vn",
                           "--name", "cluster").stdout
            self.tokens[who] = next(w for w in out.split() if w.startswith("ocop_"))

    def tear_down(self):
        for process in list(self.processes.values()) + [
            getattr(self, "nginx", None), getattr(self, "s3", None)
        ]:
            if process and process.poll() is None:
                process.terminate()
                try:
                    process.wait(20)
                except subprocess.TimeoutExpired:
                    process.kill()
        if hasattr(self, "mailbox"):
            self.mailbox.stop()
        subprocess.run(
            ["dropdb", "-h", "127.0.0.1", "-U", "postgres", "--if-exists", "--force", self.db_name],
            check=False,
        )


class Load:
    """The mixed load, and what it was told."""

    def __init__(self, cluster):
        self.cluster = cluster
        self.answers = []  # (kind, method, status, started, seconds)
        self.lock = threading.Lock()
        self.stop = threading.Event()
        self.http = Http(f"http://127.0.0.1:{cluster.nginx_port}", self.note)
        self.acknowledged = collections.defaultdict(list)
        self.cards = {}  # (token, round, product) -> (last acknowledged, later unacknowledged)
        self.revoked = []  # certificate ids, with their verification payloads
        self.faults = []  # (what, from, to, the failing statuses it may cause)

    def note(self, kind, method, status, started, seconds):
        with self.lock:
            self.answers.append((kind, method, status, started, seconds))

    # --- who does what --------------------------------------------------------------------
    def discover(self):
        tokens = self.cluster.tokens
        status, entities, _ = self.http.call("GET", "/api/v1/entities", tokens["sanxuat"])
        assert status == 200, entities
        self.entity = entities[0]["id"]
        status, certificates, _ = self.http.call("GET", "/api/v1/certificates", tokens["tinh"])
        assert status == 200, certificates
        self.payloads = []
        self.revocable = []
        for certificate in certificates:
            status, one, _ = self.http.call(
                "GET", f"/api/v1/certificates/{certificate['id']}", tokens["tinh"]
            )
            url = (one or {}).get("verification_url") or ""
            if "/v/" in url:
                payload = url.split("/v/")[1]
                self.payloads.append(payload)
                if one["status"] == "active" and one["authority"] == "province":
                    self.revocable.append((one["id"], payload))
        assert self.payloads, "the demo has certificates"
        # Council members with a card they may still draft.
        self.drafts = []
        for who in ["chutich", "hoidong", "thanhvien1", "thanhvien2", "thanhvien3"]:
            token = tokens[who]
            status, rounds, _ = self.http.call("GET", "/api/v1/rounds", token)
            for round_ in rounds or []:
                if round_["state"] != "scoring":
                    continue
                status, detail, _ = self.http.call("GET", f"/api/v1/rounds/{round_['id']}", token)
                for product in detail["products"]:
                    status, one, _ = self.http.call(
                        "GET", f"/api/v1/rounds/{round_['id']}/products/{product['id']}", token
                    )
                    if status != 200 or one.get("status") not in (None, "scoring"):
                        continue
                    card = one.get("my_card")
                    if card is None or not card["submitted"]:
                        self.drafts.append((who, round_["id"], product["id"], product))
        self.sheets = {}
        self.refused_options = {}  # product → {(criterion, option)} refused for its entity type

    def sheet(self, version, product_set):
        key = (version, product_set)
        if key not in self.sheets:
            status, sheet, _ = self.http.call("GET", f"/api/v1/criteria/{version}/{product_set}")
            self.sheets[key] = [
                (c["code"], [o["number"] for o in c["options"]])
                for c in sheet["criteria"] if c["options"]
            ]
        return self.sheets[key]

    def public(self, seed):
        rng = random.Random(seed)
        words = ["mat ong", "sau rieng", "buoi", "tra", "nuoc mam", "hat dieu", "thanh long"]
        while not self.stop.is_set():
            choice = rng.random()
            if choice < 0.4:
                q = urllib.request.quote(rng.choice(words))
                self.http.call("GET", f"/api/v1/catalogue?q={q}", kind="search")
            elif choice < 0.8:
                payload = rng.choice(self.payloads)
                self.http.call("GET", f"/api/v1/verify?payload={payload}", kind="verify")
            else:
                self.http.call("GET", f"/v/{rng.choice(self.payloads)}", kind="verify page")

    def producer(self):
        token = self.cluster.tokens["sanxuat"]
        n = 0
        while not self.stop.is_set():
            n += 1
            status, product, _ = self.http.call(
                "POST", f"/api/v1/entities/{self.entity}/products", token,
                {"name": f"Sản phẩm cụm {os.getpid()} số {n}", "product_set": "P01",
                 "description": "Tạo trong lúc thử cụm máy chủ"},
                kind="producer: product",
            )
            if status != 201:
                continue
            self.acknowledged["products"].append(product["id"])
            status, dossier, _ = self.http.call(
                "POST", f"/api/v1/products/{product['id']}/dossiers", token,
                {"evaluation_type": "first_time"}, kind="producer: dossier",
            )
            if status != 201:
                continue
            self.acknowledged["dossiers"].append(dossier["id"])
            content = f"%PDF-1.4\n% cluster evidence {uuid.uuid4()}\n%%EOF\n".encode()
            status, evidence, _ = self.http.multipart(
                f"/api/v1/dossiers/{dossier['id']}/evidence", token,
                {"evidence_type": "business_registration"}, {"file": ("giay-phep.pdf", content)},
                kind="producer: evidence",
            )
            if status == 201:
                self.acknowledged["evidence"].append((dossier["id"], evidence["file_sha256"]))

    def council(self, seed):
        rng = random.Random(seed)
        if not self.drafts:
            return
        while not self.stop.is_set():
            who, round_id, product_id, product = rng.choice(self.drafts)
            token = self.cluster.tokens[who]
            sheet = self.sheet(product["criteria_version"], product["product_set"])
            # Options the product's entity type may not take are learnt from the refusals, as a
            # member learns them from the form's message: later cards fit the sheet.
            refused = self.refused_options.setdefault(product_id, set())
            choices = {
                code: rng.choice([n for n in numbers if (code, n) not in refused] or numbers)
                for code, numbers in sheet
            }
            key = (who, round_id, product_id)
            status, answer, _ = self.http.call(
                "PUT", f"/api/v1/rounds/{round_id}/products/{product_id}/card", token,
                {"choices": choices}, kind="council: card",
            )
            if status == 422:
                for detail in (answer or {}).get("error", {}).get("details", []):
                    found = re.search(r"option (\d+) of criterion (\S+) does not apply", detail)
                    if found:
                        refused.add((found.group(2), int(found.group(1))))
            last, later = self.cards.get(key, (None, []))
            if status in (403, 404, 422) and last is None:
                # Not this member's to draft (excluded, or scoring closed): leave it.
                self.drafts = [d for d in self.drafts if d[:3] != key] or self.drafts
                continue
            if status == 204:
                self.cards[key] = (choices, [])
            else:
                self.cards[key] = (last, later + [choices])
            time.sleep(0.05)

    def officer_import(self):
        token = self.cluster.tokens["tinh"]
        rows = ["Mã số thuế,Tên chủ thể,Loại hình,Người đại diện,Địa chỉ,Mã xã"]
        for n in range(3000):
            rows.append(f"CL{os.getpid()}{n:05},Hợp tác xã cụm {n},HTX,Nguyễn Văn An,Ấp {n % 9},25195")
        status, run, body = self.http.multipart(
            "/api/v1/imports", token, {"kind": "entities", "dry_run": "false"},
            {"file": ("chu-the.csv", ("\n".join(rows) + "\n").encode())}, kind="officer: import",
        )
        assert status in (200, 201, 202), body
        self.import_id = run["id"]

    def revoke(self, count):
        token = self.cluster.tokens["tinh"]
        for certificate_id, payload in self.revocable[:count]:
            self.revocable = self.revocable[1:]
            status, _, body = self.http.call(
                "POST", f"/api/v1/certificates/{certificate_id}/revocation", token,
                {"ground": "a", "found_on": time.strftime("%Y-%m-%d"),
                 "finding_ref": "Biên bản kiểm tra cụm", "decision_number": f"{random.randint(100, 999)}/QĐ-UBND",
                 "decided_on": time.strftime("%Y-%m-%d"), "signer": "Phó Chủ tịch"},
                kind="officer: revoke",
            )
            if status in (200, 201):
                self.revoked.append((certificate_id, payload))

    # --- the run ---------------------------------------------------------------------------
    def run(self, seconds):
        threads = [threading.Thread(target=self.public, args=(n,)) for n in range(3)]
        threads.append(threading.Thread(target=self.producer))
        threads.append(threading.Thread(target=self.council, args=(7,)))
        started = time.time()
        for thread in threads:
            thread.start()
        cluster = self.cluster
        at = lambda fraction: started + seconds * fraction  # noqa: E731

        def until(moment):
            while time.time() < moment:
                time.sleep(0.1)

        until(at(0.10))
        self.officer_import()
        until(at(0.15))
        self.revoke(1)
        until(at(0.25))
        victim = 1
        killed = time.time()
        cluster.processes[victim].send_signal(signal.SIGKILL)
        cluster.processes[victim].wait()
        print(f"  {killed - started:5.1f} s  server {victim} killed (SIGKILL)")
        time.sleep(3)
        cluster.start_server(victim)
        # A write already sent to the killed server cannot be resent: nginx answers 502.
        self.faults.append(
            (f"server {victim} killed and restarted", killed, time.time() + 5, {0, 502, 504})
        )
        print(f"  {time.time() - started:5.1f} s  server {victim} serving again")
        until(at(0.50))
        self.revoke(1)
        until(at(0.60))
        restarted = time.time()
        subprocess.run(
            ["pg_ctlcluster", "--skip-systemctl-redirect", self.cluster.args.pg_version, "main", "restart"],
            check=True,
        )
        wait_for("PostgreSQL back", lambda: subprocess.run(
            ["pg_isready", "-q", "-h", "127.0.0.1"]).returncode == 0, 60)
        # Every server answers its own 503 until the database is back; nginx passes it on.
        self.faults.append(("PostgreSQL restarted", restarted, time.time() + 10, {503}))
        print(f"  {restarted - started:5.1f} s  PostgreSQL restarted ({time.time() - restarted:.1f} s)")
        until(at(0.80))
        self.revoke(1)
        until(at(1.0))
        self.stop.set()
        for thread in threads:
            thread.join()
        return time.time() - started


def check(cluster, load):
    problems = []
    tokens = cluster.tokens
    http = Http(f"http://127.0.0.1:{cluster.nginx_port}", None)

    # Acknowledged writes are there.
    for product_id in load.acknowledged["products"]:
        status, _, _ = http.call("GET", f"/api/v1/products/{product_id}", tokens["sanxuat"])
        if status != 200:
            problems.append(f"acknowledged product {product_id} answers {status}")
    evidence = collections.defaultdict(set)
    for dossier_id, sha in load.acknowledged["evidence"]:
        evidence[dossier_id].add(sha)
    for dossier_id in load.acknowledged["dossiers"]:
        status, dossier, _ = http.call("GET", f"/api/v1/dossiers/{dossier_id}", tokens["sanxuat"])
        if status != 200:
            problems.append(f"acknowledged dossier {dossier_id} answers {status}")
            continue
        stored = {e["file_sha256"] for e in dossier.get("evidence", [])}
        if not evidence[dossier_id] <= stored:
            problems.append(f"dossier {dossier_id} lost acknowledged evidence")
    for (who, round_id, product_id), (last, later) in load.cards.items():
        if last is None:
            continue
        status, one, _ = http.call("GET", f"/api/v1/rounds/{round_id}/products/{product_id}", tokens[who])
        saved = (one or {}).get("my_card", {}).get("choices")
        if saved != last and saved not in later:
            problems.append(f"{who}'s card on {product_id} is not the last one saved")

    # The import queued before the kill finished, once.
    def import_done():
        status, run, _ = http.call("GET", f"/api/v1/imports/{load.import_id}", tokens["tinh"])
        return status == 200 and run["finished"]
    wait_for("the import finished", import_done, 120)
    status, run, _ = http.call("GET", f"/api/v1/imports/{load.import_id}", tokens["tinh"])
    if run["state"] != "done" or (run.get("counts") or {}).get("created") != 3000:
        problems.append(f"the import ended {run['state']}: {json.dumps(run.get('counts'))} {run.get('error')}")

    # Revocations are seen by every server, asked directly.
    for certificate_id, payload in load.revoked:
        for port in cluster.ports:
            direct = Http(f"http://127.0.0.1:{port}", None)
            status, verdict, _ = direct.call("GET", f"/api/v1/verify?payload={payload}")
            if status != 200 or verdict.get("status") != "revoked":
                problems.append(f"server :{port} says {certificate_id} is {verdict and verdict.get('status')}")

    # A browser session made on one server is good on the others: the login form from the first,
    # the sign-in on the second, the account page and a form posted with its CSRF token on the third.
    problems.extend(session_across_servers(cluster))

    # No e-mail twice.
    with cluster.mailbox.lock:
        messages = list(cluster.mailbox.messages)
    counted = collections.Counter(messages)
    twice = [m for m, n in counted.items() if n > 1]
    if twice:
        problems.append(f"{len(twice)} e-mails delivered more than once")

    # The audit trail, and every file read back with its SHA-256.
    verify = cluster.run("audit", "verify", "--db", cluster.db, check=False)
    if verify.returncode != 0:
        problems.append("audit: " + verify.stderr.strip())
    backup_dir = os.path.join(cluster.work, "backup")
    backup = cluster.run("backup", backup_dir, "--db", cluster.db, check=False)
    if backup.returncode != 0:
        problems.append("backup (reading every file back): " + backup.stderr.strip())
    else:
        manifest = json.load(open(os.path.join(backup_dir, "manifest.json")))
        for _, sha in load.acknowledged["evidence"]:
            if not os.path.exists(os.path.join(backup_dir, "files", sha[:2], sha[2:])):
                problems.append(f"uploaded file {sha} not in the object store")

    # No 5xx outside the faults, and within one only the failures it may cause.
    # A request counts as caught by a fault when its time in flight overlaps the fault's window:
    # a POST already sent to the server being killed cannot be retried by nginx (it is not
    # idempotent), so its 502 is the fault's, even though it started a moment before the kill.
    def excused(status, started, seconds):
        return any(
            started <= end and started + seconds >= start and status in may_fail
            for _, start, end, may_fail in load.faults
        )
    errors = [
        a for a in load.answers if (a[2] >= 500 or a[2] == 0) and not excused(a[2], a[3], a[4])
    ]
    if errors:
        problems.append(f"{len(errors)} answers 5xx or unanswered not caused by a fault: "
                        + ", ".join(f"{k} {s}" for k, _, s, _, _ in errors[:5]))
    return problems, len(messages), (manifest if backup.returncode == 0 else None)


def session_across_servers(cluster):
    import http.client
    import urllib.parse

    def ask(port, method, path, cookies, body=None):
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        headers = {"Cookie": "; ".join(f"{k}={v}" for k, v in cookies.items())}
        if body is not None:
            headers["Content-Type"] = "application/x-www-form-urlencoded"
            body = urllib.parse.urlencode(body)
        connection.request(method, path, body=body, headers=headers)
        response = connection.getresponse()
        for header, value in response.getheaders():
            if header.lower() == "set-cookie":
                name, _, rest = value.partition("=")
                cookies[name] = rest.split(";")[0]
        text = response.read().decode("utf-8", "replace")
        connection.close()
        return response.status, text

    a, b, c = cluster.ports
    cookies = {}
    status, page = ask(a, "GET", "/login", cookies)
    token = re.search(r'name="csrf" value="([^"]+)"', page)
    if status != 200 or not token:
        return [f"the login page on :{a} answered {status}"]
    status, _ = ask(b, "POST", "/login", cookies, {
        "csrf": token.group(1), "email": "tinh@demo.ocop.vn", "password": "ocop-demo-2025", "next": ""})
    if status not in (302, 303) or "ocop_session" not in cookies:
        return [f"signing in on :{b} with :{a}'s form answered {status}"]
    status, page = ask(c, "GET", "/account", cookies)
    token = re.search(r'name="csrf" value="([^"]+)"', page)
    if status != 200 or not token:
        return [f"the session made on :{b} is not known on :{c} ({status})"]
    status, _ = ask(a, "POST", "/logout", cookies, {"csrf": token.group(1)})
    if status not in (200, 302, 303):
        return [f"signing out on :{a} with :{c}'s CSRF token answered {status}"]
    status, _ = ask(b, "GET", "/account", cookies)
    if status == 200:
        return [f"the session signed out on :{a} still works on :{b}"]
    return []


def figures(load, elapsed):
    by_kind = collections.defaultdict(list)
    statuses = collections.Counter()
    for kind, method, status, started, seconds in load.answers:
        by_kind[kind.split("?")[0]].append(seconds)
        statuses[status] += 1
    print(f"\n{len(load.answers)} requests in {elapsed:.0f} s through nginx to 3 servers")
    print(f"  statuses: {dict(sorted(statuses.items()))}")
    for kind, times in sorted(by_kind.items()):
        if kind.startswith("/"):
            continue  # finding the demo's records before the load
        times.sort()
        p99 = times[min(len(times) - 1, int(len(times) * 0.99))]
        print(f"  {kind:22} {len(times):6} requests  p50 {statistics.median(times) * 1000:7.1f} ms"
              f"  p99 {p99 * 1000:7.1f} ms")
    for what, start, end, _ in load.faults:
        inside = [a for a in load.answers if a[3] <= end and a[3] + a[4] >= start]
        failed = sum(1 for a in inside if a[2] >= 500 or a[2] == 0)
        print(f"  during '{what}': {len(inside)} requests, {failed} failed")


def rss_mib(pid):
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return 0.0


def cpu_seconds(pids):
    total = 0.0
    for pid in pids:
        try:
            with open(f"/proc/{pid}/stat") as stat:
                fields = stat.read().rsplit(")", 1)[1].split()
            total += (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
        except (FileNotFoundError, IndexError, ValueError):
            pass
    return total


def pids_of(name):
    done = subprocess.run(["pgrep", "-x", name], capture_output=True, text=True)
    return [int(p) for p in done.stdout.split()]


def soak(cluster, load, seconds, every):
    """The mixed load without faults; each server's resident memory sampled as it goes."""
    samples = []
    threads = [threading.Thread(target=load.public, args=(n,)) for n in range(3)]
    threads.append(threading.Thread(target=load.producer))
    threads.append(threading.Thread(target=load.council, args=(7,)))
    started = time.time()
    for thread in threads:
        thread.start()
    load.officer_import()
    while time.time() - started < seconds:
        samples.append((time.time() - started,
                        [rss_mib(cluster.processes[n].pid) for n in range(3)], len(load.answers)))
        time.sleep(every)
    load.stop.set()
    for thread in threads:
        thread.join()
    print(f"\nsoak: {len(load.answers)} requests in {time.time() - started:.0f} s; resident memory (MiB):")
    print("  time     server 0  server 1  server 2  requests so far")
    for at, rss, count in samples:
        print(f"  {at:5.0f} s  " + "  ".join(f"{r:8.1f}" for r in rss) + f"  {count:8}")
    # After the first fifth (caches filling), the last third may not sit above the middle third.
    warm = [s for s in samples if s[0] >= seconds / 5]
    third = max(1, len(warm) // 3)
    middle = [max(s[1]) for s in warm[third:2 * third]] or [0]
    last = [max(s[1]) for s in warm[-third:]]
    growth = statistics.mean(last) - statistics.mean(middle)
    print(f"  the last third against the middle third: {growth:+.1f} MiB")
    return growth <= max(8.0, 0.10 * statistics.mean(middle))


def wrk(url, seconds):
    out = subprocess.run(["wrk", "-t2", "-c32", f"-d{seconds}s", "--latency", url],
                         capture_output=True, text=True).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    value, unit = re.search(r"\s99%\s+([\d.]+)(us|ms|s)", out).groups()
    p99 = float(value) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[unit]
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    return rps, p99, int(errors.group(1)) if errors else 0


def bench(cluster, load, seconds):
    """Public verification and search through nginx, with one server and with three."""
    base = f"http://127.0.0.1:{cluster.nginx_port}"
    targets = [("verify (GET /api/v1/verify)", f"{base}/api/v1/verify?payload={load.payloads[0]}"),
               ("search (GET /api/v1/catalogue?q=…)", f"{base}/api/v1/catalogue?q=mat+ong")]
    rows = []
    for count in (1, 3):
        cluster.reload_nginx(cluster.ports[:count])
        for name, url in targets:
            servers = [cluster.processes[n].pid for n in range(3)]
            before = (cpu_seconds(servers), cpu_seconds(pids_of("nginx")), cpu_seconds(pids_of("postgres")))
            rps, p99, errors = wrk(url, seconds)
            after = (cpu_seconds(servers), cpu_seconds(pids_of("nginx")), cpu_seconds(pids_of("postgres")))
            used = [(a - b) / seconds for a, b in zip(after, before)]
            rows.append((count, name, rps, p99, errors, used))
    cluster.reload_nginx(cluster.ports)
    print(f"\nthroughput through nginx, wrk -t2 -c32 -d{seconds}s, on {os.cpu_count()} cores:")
    print("  servers  request                               req/s     p99 ms  non-2xx  cores used: ocop / nginx / postgres")
    for count, name, rps, p99, errors, used in rows:
        print(f"  {count:7}  {name:36} {rps:8.0f}  {p99:8.1f}  {errors:7}  "
              + " / ".join(f"{u:.2f}" for u in used))


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--ocop", required=True)
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--pg-version", default="15")
    parser.add_argument("--soak", type=float, default=0,
                        help="instead of the fault run: the mixed load for this many seconds, memory sampled")
    parser.add_argument("--bench", type=float, default=0,
                        help="instead of the fault run: wrk through nginx with 1 and 3 servers, this many seconds each")
    args = parser.parse_args()
    work = tempfile.mkdtemp(prefix="ocop-cluster-")
    cluster = Cluster(args, work)
    ok = False
    try:
        print(f"cluster: PostgreSQL {cluster.db}, servers :{cluster.ports}, nginx :{cluster.nginx_port}")
        cluster.set_up()
        load = Load(cluster)
        load.discover()
        print(f"cluster: {len(load.payloads)} certificates to verify, "
              f"{len(load.drafts)} cards to draft")
        if args.soak:
            ok = soak(cluster, load, args.soak, max(5.0, args.soak / 40))
            print("\nmemory flat" if ok else "\nFAILED: memory grew")
        elif args.bench:
            bench(cluster, load, int(args.bench))
            ok = True
        else:
            elapsed = load.run(args.seconds)
            problems, mails, manifest = check(cluster, load)
            figures(load, elapsed)
            print(f"  acknowledged: {len(load.acknowledged['products'])} products, "
                  f"{len(load.acknowledged['dossiers'])} dossiers, {len(load.acknowledged['evidence'])} uploads, "
                  f"{sum(1 for v in load.cards.values() if v[0])} cards; {len(load.revoked)} revocations; "
                  f"{mails} e-mails")
            if manifest:
                print(f"  files read back from the object store: {manifest['files']}; audit records: {manifest['audit_seq']}")
            if problems:
                print("\nFAILED:")
                for problem in problems:
                    print(f"  - {problem}")
            else:
                print("\nall checks hold")
                ok = True
    finally:
        cluster.tear_down()
        if ok:
            shutil.rmtree(work, ignore_errors=True)
        else:
            print(f"(logs kept in {work})")
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
