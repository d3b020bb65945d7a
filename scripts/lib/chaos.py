#!/usr/bin/env python3
"""The chaos check behind scripts/chaos (run that, not this).

Two eip-broker replicas share one PostgreSQL and one Alibaba Cloud account served by
eip-cloud-emulator (documented throttling quotas, a fail rate, answers dropped after the change
took effect). Agents churn lease lifecycles (allocate, associate, release) over several
clusters through both replicas, as a load balancer would, while replicas are killed with
SIGKILL and PostgreSQL is stopped and started. Then the run waits for quiet and checks the
answers, the books and the emulator's own state. It prints the figures and exits 1 on any
violation (2 on a setup failure).
"""

import argparse
import http.client
import json
import os
import random
import signal
import socket
import sqlite3
import subprocess
import sys
import threading
import time
import uuid

REGION = "cn-hangzhou"
ACCOUNT = "aliyun"
BROKER_ID = "eip-broker"
TRANSITIONAL = ("Pending", "Associating", "Disassociating", "Releasing")
ACCESS_KEY_ID = "LTAI5tEmulatorTestOnly"
ACCESS_KEY_SECRET = "EmulatorTestOnlySecretNotForRealUse"
# The documented per-account quotas (calls per minute) of ../CLOUD-APIS: the emulator refuses
# beyond them, the broker paces each replica at 90% of them, so two replicas get throttled.
QUOTAS = {"AllocateEipAddress": 120, "AssociateEipAddress": 120, "DescribeEipAddresses": 600, "ReleaseEipAddress": 600}


def say(text):
    print(f"==> {text}", file=sys.stderr, flush=True)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def now_ms():
    return int(time.time() * 1000)


class Violations:
    """Counts per rule, with a few examples of each."""

    RULES = [
        "double-assigned address (answers)",
        "address held by two leases (books)",
        "EIP released while a lease held it",
        "EIP unbound while its lease was InUse",
        "broker-tagged EIP not in the books",
        "booked EIP not in the cloud",
        "EIP bound in the cloud with no lease using it",
        "lifecycle not settled",
        "lease failed without a reason",
        "lease stuck in a transitional phase",
        "limit overrun or counter drift",
        "5xx other than 503",
        "503 Unavailable while the database was up",
        "request with no answer in 60 s",
        "idempotency key stuck",
        "replica exited by itself",
        "deadlock detected",
        "quiet not reached",
    ]

    def __init__(self):
        self.lock = threading.Lock()
        self.counts = {rule: 0 for rule in self.RULES}
        self.examples = {rule: [] for rule in self.RULES}

    def add(self, rule, example):
        with self.lock:
            self.counts[rule] += 1
            if len(self.examples[rule]) < 5:
                self.examples[rule].append(example)

    @property
    def total(self):
        return sum(self.counts.values())


class Figures:
    def __init__(self):
        self.lock = threading.Lock()
        self.values = {}

    def add(self, name, amount=1):
        with self.lock:
            self.values[name] = self.values.get(name, 0) + amount

    def set(self, name, value):
        with self.lock:
            self.values[name] = value


class Process:
    """A child process with its output appended to a log file."""

    def __init__(self, name, argv, log_path, env=None):
        self.name, self.argv, self.log_path, self.env = name, argv, log_path, env
        self.popen = None
        self.expected_exit = False

    def start(self):
        log = open(self.log_path, "ab")
        self.expected_exit = False
        self.popen = subprocess.Popen(self.argv, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, env=self.env)
        log.close()

    def kill(self):
        self.expected_exit = True
        if self.popen and self.popen.poll() is None:
            self.popen.send_signal(signal.SIGKILL)
            self.popen.wait()

    def stop(self):
        self.expected_exit = True
        if self.popen and self.popen.poll() is None:
            self.popen.terminate()
            try:
                self.popen.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.popen.kill()
                self.popen.wait()

    def exited_by_itself(self):
        return self.popen is not None and self.popen.poll() is not None and not self.expected_exit


def wait_for(what, condition, timeout, interval=0.2):
    deadline = time.time() + timeout
    while time.time() < deadline:
        try:
            if condition():
                return True
        except Exception:
            pass
        time.sleep(interval)
    raise RuntimeError(f"gave up after {timeout} s waiting for {what}")


class Answer:
    def __init__(self, status, body, headers):
        self.status, self.body, self.headers = status, body, headers

    def json(self):
        try:
            return json.loads(self.body or b"{}")
        except ValueError:
            return {}


class Outages:
    """When PostgreSQL was down, with the slack a replica needs to notice it is back."""

    def __init__(self, slack):
        self.lock = threading.Lock()
        self.windows = []
        self.slack = slack

    def begin(self):
        with self.lock:
            self.windows.append([time.time(), None])

    def end(self):
        with self.lock:
            self.windows[-1][1] = time.time()

    def covers(self, start, end):
        with self.lock:
            for began, ended in self.windows:
                if start <= (ended or time.time()) + self.slack and end >= began:
                    return True
        return False


class Client:
    """One agent's HTTP/1.1 connections to both replicas, failing over like a load balancer.
    Classifies every answer for the 5xx rules."""

    def __init__(self, run, first):
        self.run = run
        self.turn = first
        self.connections = {}

    def request(self, method, path, token, body=None, key=None, timeout=60):
        """Sends until a replica answers; a refused or reset connection goes to the other one."""
        headers = {"Authorization": f"Bearer {token}"}
        data = None
        if body is not None:
            data = json.dumps(body).encode()
            headers["Content-Type"] = "application/json"
        if key:
            headers["Idempotency-Key"] = key
        give_up = time.time() + 600
        while True:
            port = self.run.ports[self.turn % len(self.run.ports)]
            connection = self.connections.get(port)
            if connection is None:
                connection = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
                self.connections[port] = connection
            started = time.time()
            try:
                connection.request(method, path, body=data, headers=headers)
                response = connection.getresponse()
                answer = Answer(response.status, response.read(), dict(response.getheaders()))
            except socket.timeout:
                connection.close()
                self.connections.pop(port, None)
                self.run.violations.add("request with no answer in 60 s", f"{method} {path} on :{port}")
                self.turn += 1
                continue
            except (OSError, http.client.HTTPException):
                connection.close()
                self.connections.pop(port, None)
                self.run.figures.add("connection errors (replica killed or restarting)")
                self.turn += 1
                if time.time() > give_up:
                    raise
                time.sleep(0.2)
                continue
            self.classify(method, path, answer, started)
            if answer.status == 503 or answer.status == 429:
                retry = answer.headers.get("Retry-After") or answer.headers.get("retry-after") or "1"
                time.sleep(min(float(retry), 5))
                self.turn += 1
                continue
            return answer

    def classify(self, method, path, answer, started):
        status = answer.status
        figures = self.run.figures
        if status < 500:
            if status == 429:
                figures.add("429 answers")
            return
        code = answer.json().get("code", "")
        if status != 503:
            self.run.violations.add("5xx other than 503", f"{status} {code} for {method} {path}: {answer.body[:200]!r}")
        elif code == "Unavailable":
            figures.add("503 Unavailable (database down)")
            if not self.run.outages.covers(started, time.time()):
                self.run.violations.add("503 Unavailable while the database was up", f"{method} {path}: {answer.body[:200]!r}")
        else:
            figures.add(f"503 {code}")


class Run:
    def __init__(self, args):
        self.args = args
        self.work = args.work
        self.violations = Violations()
        self.figures = Figures()
        self.outages = Outages(slack=args.outage_slack)
        self.ports = []
        self.replicas = []
        self.admin = "chaos-admin-" + uuid.uuid4().hex
        self.tokens = {}
        self.done = 0
        self.done_lock = threading.Lock()
        self.holdings = []  # (allocation id, ip, lease id, held from, held until, in use from, in use until)
        self.holdings_lock = threading.Lock()
        self.stop_chaos = threading.Event()
        self.rng = random.Random(args.seed)

    # -- processes --------------------------------------------------------------------------

    def start_emulator(self):
        self.emulator_port = free_port()
        self.cloud_db = os.path.join(self.work, "cloud.sqlite")
        argv = [
            os.path.join(self.args.bin, "eip-cloud-emulator"), "--port", str(self.emulator_port), "--region", REGION,
            "--database-url", self.cloud_db, "--eip-quota", str(self.args.eip_quota), "--settle-ms", "100",
            "--fail-rate", str(self.args.fail_rate), "--drop-response-rate", str(self.args.drop_rate),
        ]
        for action, per_minute in QUOTAS.items():
            argv += ["--throttle-per-minute", f"{action}={per_minute}"]
        self.emulator = Process("emulator", argv, os.path.join(self.work, "emulator.log"))
        self.emulator.start()
        wait_for("the emulator", lambda: self.emulator_get("/_emulator/stats") is not None, 60)

    def emulator_get(self, path):
        connection = http.client.HTTPConnection("127.0.0.1", self.emulator_port, timeout=30)
        try:
            connection.request("GET", path)
            response = connection.getresponse()
            return json.loads(response.read()) if response.status == 200 else None
        finally:
            connection.close()

    def start_replicas(self):
        accounts = os.path.join(self.work, "accounts.yaml")
        with open(accounts, "w") as f:
            f.write(
                "accounts:\n"
                f"  - name: {ACCOUNT}\n    kind: alibaba\n    region: {REGION}\n    alibaba:\n"
                f"      endpoint: http://127.0.0.1:{self.emulator_port}\n"
                f"      credentials: {{source: accessKey, accessKeyId: {ACCESS_KEY_ID}, accessKeySecret: {ACCESS_KEY_SECRET}}}\n"
                "      timeout: 5s\n"
            )
        for index in range(2):
            port = free_port()
            argv = [
                os.path.join(self.args.bin, "eip-broker"), "serve", "--port", str(port), "--database-url", self.args.pg_url,
                "--admin-token", self.admin, "--seed-demo", "false", "--accounts-file", accounts,
                "--drift-interval", "15", "--drift-orphan-grace", "60", "--log-level", "notice",
            ]
            replica = Process(f"replica-{index}", argv, os.path.join(self.work, f"replica-{index}.log"))
            replica.start()
            self.ports.append(port)
            self.replicas.append(replica)
        for port in self.ports:
            wait_for(f"replica on :{port}", lambda port=port: self.ready(port), 120)

    def ready(self, port):
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
        try:
            connection.request("GET", "/readyz")
            return connection.getresponse().status == 200
        finally:
            connection.close()

    def psql(self, sql):
        out = subprocess.run(
            [os.path.join(self.args.pg_bin, "psql"), self.args.pg_url, "-AtqX", "-F", "\t", "-v", "ON_ERROR_STOP=1", "-c", sql],
            capture_output=True, text=True, timeout=60,
        )
        if out.returncode != 0:
            raise RuntimeError(f"psql failed: {out.stderr.strip()}")
        return [line.split("\t") for line in out.stdout.splitlines() if line]

    def pg_ctl(self, *arguments):
        argv = [os.path.join(self.args.pg_bin, "pg_ctl"), "-D", os.path.join(self.args.pg_dir, "data")] + list(arguments)
        if os.geteuid() == 0:
            argv = ["runuser", "-u", "postgres", "--"] + argv
        subprocess.run(argv, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=120)

    # -- setup ------------------------------------------------------------------------------

    def setup(self):
        client = Client(self, 0)

        def admin(method, path, body):
            answer = client.request(method, path, self.admin, body)
            if answer.status not in (200, 201):
                raise RuntimeError(f"{method} {path}: {answer.status} {answer.body[:300]!r}")
            return answer.json()

        packages = self.args.clusters // 2 or 1
        for index in range(packages):
            admin("POST", "/v1/bandwidth-packages", {"id": f"cbwp-chaos{index}", "maxIps": 16, "provider": ACCOUNT, "region": REGION})
        # Shared pools: one per two clusters, half of them in a bandwidth package.
        self.pools = []
        for index in range(packages):
            body = {
                "name": f"shared-{index}", "provider": ACCOUNT, "region": REGION, "maxSize": 24,
                "warm": {"min": 2, "max": 6}, "bandwidth": 5, "internetChargeType": "PayByTraffic",
            }
            if index % 2 == 0:
                body["bandwidthPackages"] = [f"cbwp-chaos{index}"]
            admin("POST", "/v1/pools", body)
            self.pools.append(body["name"])
        for index in range(self.args.clusters):
            name = f"chaos-{index}"
            admin("POST", "/v1/clusters", {"name": name, "quota": 12, "provider": ACCOUNT, "region": REGION, "vpcIds": ["vpc-sim"]})
            self.tokens[name] = admin("POST", f"/v1/clusters/{name}/tokens", None)["token"]

    # -- churn ------------------------------------------------------------------------------

    def next_lifecycle(self):
        with self.done_lock:
            if self.done >= self.args.lifecycles:
                return None
            self.done += 1
            return self.done

    def churn(self, worker):
        client = Client(self, worker)
        rng = random.Random(self.args.seed * 1000 + worker)
        while (number := self.next_lifecycle()) is not None:
            try:
                self.lifecycle(client, rng, number)
            except Exception as error:  # a broken run, not a finding: report and go on
                self.violations.add("lifecycle not settled", f"lifecycle {number}: {error!r}")

    def settle(self, client, token, lease_id, wanted, deadline):
        """Polls the lease until its phase is one of `wanted` or Failed."""
        while time.time() < deadline:
            answer = client.request("GET", f"/v1/leases/{lease_id}", token)
            if answer.status == 200:
                lease = answer.json()
                if lease.get("phase") in wanted + ("Failed",):
                    return lease
            time.sleep(0.3)
        return None

    def keyed(self, client, method, path, token, body, what, number):
        """A keyed POST, retried with its key until it is answered; a key refused as still being
        answered for longer than a dead request can hold it is stuck."""
        key = str(uuid.uuid4())
        first = time.time()
        while True:
            answer = client.request(method, path, token, body, key=key)
            if answer.status == 409 and b"still being answered" in answer.body:
                self.figures.add("409 key still being answered")
                if time.time() - first > self.args.key_hold_limit:
                    self.violations.add("idempotency key stuck", f"lifecycle {number} {what}: {key} refused for {time.time() - first:.0f} s")
                    return answer
                time.sleep(1)
                continue
            if answer.headers.get("Idempotent-Replayed") == "true":
                self.figures.add("idempotent replays")
            return answer

    def lifecycle(self, client, rng, number):
        cluster = f"chaos-{number % self.args.clusters}"
        token = self.tokens[cluster]
        pool = self.pools[(number % self.args.clusters) // 2 % len(self.pools)]
        pod = f"pod-{number}"
        deadline = time.time() + self.args.lifecycle_deadline
        answer = self.keyed(
            client, "POST", "/v1/leases?wait=10", token,
            {"namespace": "chaos", "pod": pod, "podUid": str(uuid.uuid4()), "pool": pool, "releaseStrategy": "Follow"}, "allocate", number,
        )
        if answer.status not in (200, 201):
            self.figures.add(f"allocate refused {answer.status} {answer.json().get('code', '')}")
            if answer.status >= 500 or answer.status == 409:
                self.violations.add("lifecycle not settled", f"lifecycle {number}: allocate {answer.status} {answer.body[:200]!r}")
            return
        lease = answer.json()
        lease_id = lease["id"]
        if lease.get("phase") not in ("Allocated", "Failed"):
            lease = self.settle(client, token, lease_id, ("Allocated",), deadline)
        if lease is None:
            self.violations.add("lifecycle not settled", f"lifecycle {number}: lease {lease_id} never Allocated")
            return
        if lease["phase"] == "Failed":
            self.failed(lease, number)
            return
        held_from = time.time()
        allocation_id, ip = lease.get("allocationId"), lease.get("ipAddress")
        in_use_from = in_use_until = None
        private_ip = f"10.{(number >> 16) & 255}.{(number >> 8) & 255}.{number & 255}"
        answer = self.keyed(client, "POST", f"/v1/leases/{lease_id}/associate?wait=10", token, {"privateIpAddress": private_ip}, "associate", number)
        if answer.status == 200:
            lease = answer.json()
            if lease.get("phase") not in ("InUse", "Failed"):
                lease = self.settle(client, token, lease_id, ("InUse",), deadline)
            if lease is None:
                self.violations.add("lifecycle not settled", f"lifecycle {number}: lease {lease_id} never InUse")
            elif lease["phase"] == "InUse":
                in_use_from = time.time()
                self.figures.add("InUse reached")
                time.sleep(rng.uniform(0, self.args.hold_seconds))
            else:
                self.failed(lease, number)
        else:
            self.figures.add(f"associate refused {answer.status} {answer.json().get('code', '')}")
        force = rng.random() < 0.1
        in_use_until = time.time() if in_use_from else None
        held_until = time.time()
        answer = self.keyed(client, "POST", f"/v1/leases/{lease_id}/release?wait=10", token, {"force": force}, "release", number)
        with self.holdings_lock:
            self.holdings.append((allocation_id, ip, lease_id, held_from, held_until, in_use_from, in_use_until))
        if answer.status != 200:
            self.violations.add("lifecycle not settled", f"lifecycle {number}: release {answer.status} {answer.body[:200]!r}")
            return
        lease = answer.json()
        if lease.get("phase") not in ("Released", "Failed"):
            lease = self.settle(client, token, lease_id, ("Released",), deadline + 120)
        if lease is None:
            self.violations.add("lifecycle not settled", f"lifecycle {number}: lease {lease_id} never Released")
        elif lease["phase"] == "Failed":
            self.failed(lease, number)
        else:
            self.figures.add("lifecycles completed")

    def failed(self, lease, number):
        self.figures.add("leases failed with a reason" if lease.get("lastError") else "leases failed without a reason")
        if not lease.get("lastError"):
            self.violations.add("lease failed without a reason", f"lifecycle {number}: {lease.get('id')}")
        else:
            self.figures.add(f"failure: {lease['lastError'].split(':')[0]}")

    # -- chaos ------------------------------------------------------------------------------

    def chaos(self):
        """Kills and PostgreSQL restarts, spread over the churn by progress."""
        events = [("kill", (i + 1) / (self.args.kills + 1)) for i in range(self.args.kills)]
        events += [("pg", (i + 0.5) / (self.args.pg_restarts + 0.5)) for i in range(self.args.pg_restarts)]
        events.sort(key=lambda event: event[1])
        kills = 0
        for kind, at in events:
            while not self.stop_chaos.is_set() and self.done < at * self.args.lifecycles * 0.9:
                self.watch_replicas()
                time.sleep(0.2)
            if self.stop_chaos.is_set():
                return
            if kind == "kill":
                replica = self.replicas[kills % len(self.replicas)]
                kills += 1
                say(f"SIGKILL {replica.name} (after {self.done} lifecycles)")
                replica.kill()
                self.figures.add("replica kills")
                time.sleep(self.rng.uniform(0.5, 3))
                replica.start()
            else:
                say(f"stopping PostgreSQL for {self.args.pg_down} s (after {self.done} lifecycles)")
                self.outages.begin()
                self.pg_ctl("-m", "immediate", "-w", "stop")
                time.sleep(self.args.pg_down)
                self.pg_ctl("-w", "-l", os.path.join(self.args.pg_dir, "server.log"), "-o", self.args.pg_options, "start")
                self.outages.end()
                self.figures.add("PostgreSQL restarts")
                say("PostgreSQL is back")
        while not self.stop_chaos.is_set():
            self.watch_replicas()
            time.sleep(0.5)

    def watch_replicas(self):
        for replica in self.replicas:
            if replica.exited_by_itself():
                self.violations.add("replica exited by itself", f"{replica.name} exited with {replica.popen.returncode}; see {replica.log_path}")
                replica.start()

    # -- checks -----------------------------------------------------------------------------

    def wait_for_quiet(self):
        started = time.time()
        while time.time() - started < self.args.quiet_timeout:
            try:
                busy = self.psql(
                    "SELECT (SELECT COUNT(*) FROM leases WHERE active = 1 AND phase IN ('Pending', 'Associating', 'Disassociating', 'Releasing'))"
                    " + (SELECT COUNT(*) FROM addresses WHERE state IN ('allocating', 'releasing'))"
                )[0][0]
                with sqlite3.connect(f"file:{self.cloud_db}?mode=ro", uri=True, timeout=10) as cloud:
                    # The simulated cloud settles a status when it next reads the row: due is done.
                    settling = cloud.execute("SELECT COUNT(*) FROM sim_eips WHERE settles_to IS NOT NULL AND settles_at > ?", (now_ms(),)).fetchone()[0]
                if int(busy) == 0 and settling == 0:
                    self.figures.set("seconds to quiet", round(time.time() - started, 1))
                    return True
            except Exception as error:
                say(f"not quiet yet: {error}")
            time.sleep(1)
        self.violations.add("quiet not reached", f"work still pending after {self.args.quiet_timeout} s")
        return False

    def check_answers(self, journal):
        by_ip = {}
        for holding in self.holdings:
            allocation_id, ip, lease_id, held_from, held_until, _, _ = holding
            by_ip.setdefault(ip, []).append(holding)
        for ip, holdings in by_ip.items():
            holdings.sort(key=lambda h: h[3])
            for earlier, later in zip(holdings, holdings[1:]):
                if later[3] < earlier[4]:
                    self.violations.add("double-assigned address (answers)", f"{ip}: lease {earlier[2]} held it until {earlier[4]:.3f}, {later[2]} from {later[3]:.3f}")
        releases, unbinds = {}, {}
        for change in journal["changes"]:
            target = releases if change["action"] == "ReleaseEipAddress" else unbinds if change["action"] == "UnassociateEipAddress" else None
            if target is not None:
                target.setdefault(change["allocationId"], []).append(change["at"] / 1000)
        margin = 0.05
        for allocation_id, ip, lease_id, held_from, held_until, in_use_from, in_use_until in self.holdings:
            for at in releases.get(allocation_id, []):
                if held_from + margin < at < held_until - margin:
                    self.violations.add("EIP released while a lease held it", f"{allocation_id} ({ip}) released at {at:.3f}, lease {lease_id} held it")
            if in_use_from:
                for at in unbinds.get(allocation_id, []):
                    if in_use_from + margin < at < in_use_until - margin:
                        self.violations.add("EIP unbound while its lease was InUse", f"{allocation_id} ({ip}) unbound at {at:.3f}, lease {lease_id}")
        self.figures.set("cloud releases", sum(len(v) for v in releases.values()))

    def check_books(self):
        for row in self.psql("SELECT allocation_id, COUNT(*) FROM leases WHERE active = 1 AND allocation_id IS NOT NULL GROUP BY allocation_id HAVING COUNT(*) > 1"):
            self.violations.add("address held by two leases (books)", f"{row}")
        for row in self.psql("SELECT ip_address, COUNT(*) FROM addresses WHERE state NOT IN ('released', 'lost') AND ip_address IS NOT NULL GROUP BY provider, ip_address HAVING COUNT(*) > 1"):
            self.violations.add("address held by two leases (books)", f"address rows {row}")
        for row in self.psql("SELECT id, phase FROM leases WHERE active = 1 AND phase IN ('Pending', 'Associating', 'Disassociating', 'Releasing')"):
            self.violations.add("lease stuck in a transitional phase", f"{row}")
        for row in self.psql("SELECT id FROM leases WHERE phase = 'Failed' AND (last_error IS NULL OR last_error = '')"):
            self.violations.add("lease failed without a reason", f"books: {row[0]}")
        for row in self.psql(
            "SELECT p.name, p.size, p.max_size, (SELECT COUNT(*) FROM addresses a WHERE a.pool = p.name AND a.static = 0 AND a.state IN ('allocating', 'idle', 'leased', 'releasing')) FROM pools p"
        ):
            name, size, max_size, counted = row[0], int(row[1]), int(row[2]), int(row[3])
            if size > max_size or size != counted:
                self.violations.add("limit overrun or counter drift", f"pool {name}: size {size}, max {max_size}, addresses {counted}")
        for row in self.psql(
            "SELECT b.id, b.members, b.max_ips, (SELECT COUNT(*) FROM addresses a WHERE a.bandwidth_package_id = b.id AND a.state IN ('allocating', 'idle', 'leased', 'releasing')) FROM bandwidth_packages b"
        ):
            package, members, max_ips, counted = row[0], int(row[1]), int(row[2]), int(row[3])
            if members > max_ips or members != counted:
                self.violations.add("limit overrun or counter drift", f"package {package}: members {members}, max {max_ips}, addresses {counted}")
        for row in self.psql("SELECT c.name, c.active_leases, c.quota, (SELECT COUNT(*) FROM leases l WHERE l.cluster = c.name AND l.active = 1) FROM clusters c"):
            name, active, quota, counted = row[0], int(row[1]), int(row[2]), int(row[3])
            if active > quota or active != counted:
                self.violations.add("limit overrun or counter drift", f"cluster {name}: active_leases {active}, quota {quota}, leases {counted}")
        stuck = self.psql("SELECT scope, key FROM idempotency_keys WHERE status IS NULL")
        for row in stuck:
            self.violations.add("idempotency key stuck", f"books: {row} still in progress at quiet")
        phases = self.psql("SELECT phase, COUNT(*) FROM leases GROUP BY phase ORDER BY phase")
        self.figures.set("leases by phase", {phase: int(count) for phase, count in phases})
        self.figures.set("idempotency keys", int(self.psql("SELECT COUNT(*) FROM idempotency_keys")[0][0]))

    def check_cloud(self):
        booked = {row[0]: row for row in self.psql(
            "SELECT allocation_id, state, bandwidth_package_id FROM addresses WHERE allocation_id IS NOT NULL AND state IN ('allocating', 'idle', 'leased', 'releasing')"
        )}
        in_use = {row[0]: row[1] for row in self.psql(
            "SELECT allocation_id, network_interface_id FROM leases WHERE active = 1 AND phase = 'InUse' AND allocation_id IS NOT NULL"
        )}
        with sqlite3.connect(f"file:{self.cloud_db}?mode=ro", uri=True, timeout=10) as cloud:
            rows = cloud.execute(
                "SELECT allocation_id, ip_address, status, settles_to, settles_at, instance_id, bandwidth_package_id, tags FROM sim_eips"
            ).fetchall()
        eips = []
        for allocation_id, ip, status, settles_to, settles_at, instance_id, package, tags in rows:
            # As the simulated cloud reads a row: a due status change has happened.
            if settles_to and settles_at is not None and settles_at <= now_ms():
                status = settles_to
                instance_id = None if settles_to == "Available" else instance_id
            eips.append((allocation_id, ip, status, instance_id, package, tags))
        ours = 0
        package_members = {}
        for allocation_id, ip, status, instance_id, package, tags in eips:
            if json.loads(tags or "{}").get("eip-broker/owner") != BROKER_ID:
                continue
            ours += 1
            if package:
                package_members[package] = package_members.get(package, 0) + 1
            if allocation_id not in booked:
                self.violations.add("broker-tagged EIP not in the books", f"{allocation_id} {ip} {status}")
            if status != "Available" and in_use.get(allocation_id) != instance_id:
                self.violations.add("EIP bound in the cloud with no lease using it", f"{allocation_id} {ip} {status} on {instance_id}")
        cloud_ids = {eip[0] for eip in eips}
        for allocation_id in booked:
            if allocation_id not in cloud_ids:
                self.violations.add("booked EIP not in the cloud", allocation_id)
        for package, members, max_ips in self.psql("SELECT id, members, max_ips FROM bandwidth_packages"):
            if package_members.get(package, 0) > int(max_ips) or package_members.get(package, 0) != int(members):
                self.violations.add("limit overrun or counter drift", f"package {package}: {package_members.get(package, 0)} EIPs in the cloud, {members} booked, max {max_ips}")
        self.figures.set("broker-tagged EIPs in the cloud at the end", ours)

    def check_deadlocks(self):
        with open(os.path.join(self.args.pg_dir, "server.log"), errors="replace") as log:
            text = log.read()
        deadlocks = text.count("deadlock detected")
        self.figures.set("PostgreSQL 'deadlock detected'", deadlocks)
        for _ in range(deadlocks):
            self.violations.add("deadlock detected", "see PostgreSQL's server.log")

    # -- the run ----------------------------------------------------------------------------

    def main(self):
        say(f"chaos: {self.args.lifecycles} lifecycles over {self.args.clusters} clusters, {self.args.workers} agents, "
            f"{self.args.kills} kills, {self.args.pg_restarts} PostgreSQL restarts; files in {self.work}")
        try:
            self.start_emulator()
            self.start_replicas()
            self.setup()
        except Exception as error:
            say(f"setup failed: {error}")
            self.stop_all()
            return 2
        started = time.time()
        chaos = threading.Thread(target=self.chaos, daemon=True)
        chaos.start()
        workers = [threading.Thread(target=self.churn, args=(index,), daemon=True) for index in range(self.args.workers)]
        for worker in workers:
            worker.start()
        for worker in workers:
            worker.join()
        self.figures.set("churn seconds", round(time.time() - started, 1))
        self.stop_chaos.set()
        chaos.join()
        self.watch_replicas()
        say("churn done; waiting for quiet")
        try:
            self.wait_for_quiet()
            journal = self.emulator_get("/_emulator/journal")
            self.check_answers(journal)
            self.check_books()
            self.check_cloud()
            self.check_deadlocks()
            stats = self.emulator_get("/_emulator/stats") or {}
            self.figures.set("cloud requests", sum(stats.get("requests", {}).values()))
            self.figures.set("cloud throttled", stats.get("throttled", {}))
            self.figures.set("cloud errors", stats.get("errors", {}))
            self.figures.set("journal changes dropped", journal.get("dropped", 0))
        finally:
            self.watch_replicas()
            self.stop_all()
        self.report()
        return 1 if self.violations.total else 0

    def stop_all(self):
        for replica in self.replicas:
            replica.stop()
        if hasattr(self, "emulator"):
            self.emulator.stop()

    def report(self):
        print("figures:")
        for name, value in sorted(self.figures.values.items()):
            print(f"  {name}: {value}")
        print("violations:")
        for rule in Violations.RULES:
            print(f"  {self.violations.counts[rule]:>5}  {rule}")
            for example in self.violations.examples[rule]:
                print(f"         e.g. {example}")
        print(f"total violations: {self.violations.total}")
        with open(os.path.join(self.work, "report.json"), "w") as f:
            json.dump({"figures": self.figures.values, "violations": self.violations.counts, "examples": self.violations.examples}, f, indent=1, default=str)


def parse():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--bin", required=True, help="directory with eip-broker and eip-cloud-emulator")
    parser.add_argument("--pg-url", required=True)
    parser.add_argument("--pg-dir", required=True, help="the private PostgreSQL's directory (data/, server.log)")
    parser.add_argument("--pg-bin", required=True)
    parser.add_argument("--pg-options", required=True, help="the server options to start it again with")
    parser.add_argument("--work", required=True)
    parser.add_argument("--lifecycles", type=int, default=2000)
    parser.add_argument("--clusters", type=int, default=4)
    parser.add_argument("--workers", type=int, default=16)
    parser.add_argument("--kills", type=int, default=5)
    parser.add_argument("--pg-restarts", type=int, default=2)
    parser.add_argument("--pg-down", type=float, default=5)
    parser.add_argument("--fail-rate", type=float, default=0.02)
    parser.add_argument("--drop-rate", type=float, default=0.02)
    parser.add_argument("--eip-quota", type=int, default=200)
    parser.add_argument("--hold-seconds", type=float, default=2)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--lifecycle-deadline", type=float, default=300)
    parser.add_argument("--key-hold-limit", type=float, default=60)
    parser.add_argument("--outage-slack", type=float, default=20)
    parser.add_argument("--quiet-timeout", type=float, default=300)
    return parser.parse_args()


if __name__ == "__main__":
    sys.exit(Run(parse()).main())
