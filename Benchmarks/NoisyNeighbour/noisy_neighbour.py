#!/usr/bin/env python3
"""Noisy neighbour: does one cluster looping on the API at full speed slow another one down?

Starts an eip-broker (the default rate limits, the simulated cloud) on the given database,
registers two clusters with a warm pool each, and measures cluster "beta"'s request latency
(allocate, get, list and release, one every 50 ms on one keep-alive connection) first alone,
then while cluster "alpha" floods the API with wrk (flood.lua: allocate, list and release at
full speed on 16 connections, ignoring 429s). Prints the percentiles side by side and writes
them as JSON.

    noisy_neighbour.py --broker .build/release/eip-broker --database-url postgres://... \
        --output bench/noisy-neighbour.json

Run it through `scripts/bench noisy-neighbour`, which builds the broker and starts PostgreSQL.
"""

import argparse
import http.client
import json
import os
import secrets
import socket
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Client:
    """One keep-alive HTTP/1.1 connection with a bearer token."""

    def __init__(self, port, token):
        self.port, self.token = port, token
        self.connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)

    def call(self, method, path, body=None):
        headers = {"Authorization": f"Bearer {self.token}"}
        data = None
        if body is not None:
            data = json.dumps(body).encode()
            headers["Content-Type"] = "application/json"
        try:
            self.connection.request(method, path, body=data, headers=headers)
            response = self.connection.getresponse()
            text = response.read()
        except (http.client.HTTPException, OSError):
            self.connection.close()
            self.connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
            raise
        return response.status, (json.loads(text) if text else None)

    def expect(self, status, method, path, body=None):
        got, answer = self.call(method, path, body)
        if got != status:
            sys.exit(f"{method} {path}: expected {status}, got {got}: {answer}")
        return answer


def percentile(values, fraction):
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


def measure(client, cluster, pool, seconds, interval=0.05):
    """Beta's steady work: allocate, get, list, release, one request every `interval`."""
    latencies, statuses = [], {}
    lease, step, sequence = None, 0, 0
    start = time.monotonic()
    deadline = start + seconds
    while time.monotonic() < deadline:
        operation = ("allocate", "get", "list", "release")[step % 4]
        step += 1
        if operation == "allocate":
            sequence += 1
            pod = f"steady-{int(start)}-{sequence}"
            request = ("POST", "/v1/leases", {"cluster": cluster, "namespace": "steady", "pod": pod, "podUid": pod, "pool": pool})
        elif lease is None:
            continue
        elif operation == "get":
            request = ("GET", f"/v1/leases/{lease}", None)
        elif operation == "list":
            request = ("GET", "/v1/leases?pageSize=100", None)
        else:
            request = ("POST", f"/v1/leases/{lease}/release", None)
        sent = time.monotonic()
        status, answer = client.call(*request)
        latencies.append((time.monotonic() - sent) * 1000)
        statuses[status] = statuses.get(status, 0) + 1
        if operation == "allocate":
            lease = answer["id"] if status == 201 else None
        elif operation == "release":
            lease = None
        pause = sent + interval - time.monotonic()
        if pause > 0:
            time.sleep(pause)
    return {
        "requests": len(latencies),
        "statuses": {str(k): v for k, v in sorted(statuses.items())},
        "p50_ms": percentile(latencies, 0.50),
        "p90_ms": percentile(latencies, 0.90),
        "p99_ms": percentile(latencies, 0.99),
        "max_ms": max(latencies) if latencies else float("nan"),
    }


def cpu_seconds(pid):
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--broker", required=True, help="the eip-broker executable")
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--seconds", type=float, default=20)
    parser.add_argument("--flood-threads", type=int, default=2)
    parser.add_argument("--flood-connections", type=int, default=16)
    parser.add_argument("--output", help="write the figures here as JSON")
    arguments = parser.parse_args()

    port, admin_token = free_port(), "eipb_bench-" + secrets.token_urlsafe(24)
    broker = subprocess.Popen(
        [arguments.broker, "serve", "--port", str(port), "--database-url", arguments.database_url,
         "--seed-demo", "false", "--log-level", "warning"],
        env={**os.environ, "EIPBROKER_ADMIN_TOKEN": admin_token},
        stdout=subprocess.DEVNULL,
    )
    try:
        for _ in range(600):
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=1):
                    break
            except OSError:
                if broker.poll() is not None:
                    sys.exit(f"eip-broker exited with {broker.returncode}")
                time.sleep(0.1)
        admin = Client(port, admin_token)
        tokens = {}
        for name in ("alpha", "beta"):
            admin.expect(201, "POST", "/v1/clusters", {"name": name, "quota": 100000})
            tokens[name] = admin.expect(201, "POST", f"/v1/clusters/{name}/tokens")["token"]
            admin.expect(201, "POST", "/v1/pools", {"name": name, "maxSize": 5000, "clusters": [name], "warm": {"min": 20, "max": 100}})
        for _ in range(600):
            if all(admin.expect(200, "GET", f"/v1/pools/{name}").get("idle", 0) >= 20 for name in ("alpha", "beta")):
                break
            time.sleep(0.1)

        beta = Client(port, tokens["beta"])
        measure(beta, "beta", "beta", 2)  # warm-up
        cpu_before = cpu_seconds(broker.pid)
        alone = measure(beta, "beta", "beta", arguments.seconds)
        cpu_alone = cpu_seconds(broker.pid) - cpu_before

        flood = subprocess.Popen(
            ["wrk", f"-t{arguments.flood_threads}", f"-c{arguments.flood_connections}", f"-d{arguments.seconds + 4:.0f}s",
             "--timeout", "10s", "-s", str(HERE / "flood.lua"), f"http://127.0.0.1:{port}"],
            env={**os.environ, "FLOOD_TOKEN": tokens["alpha"], "FLOOD_CLUSTER": "alpha", "FLOOD_POOL": "alpha"},
            stdout=subprocess.PIPE, text=True,
        )
        time.sleep(2)
        cpu_before = cpu_seconds(broker.pid)
        flooded = measure(beta, "beta", "beta", arguments.seconds)
        cpu_flooded = cpu_seconds(broker.pid) - cpu_before
        output, _ = flood.communicate()
        line = next((l for l in output.splitlines() if l.startswith("FLOOD ")), None)
        if flood.returncode != 0 or line is None:
            sys.exit(f"wrk failed ({flood.returncode}):\n{output}")
        alpha = json.loads(line[len("FLOOD "):])
    finally:
        broker.terminate()
        broker.wait(timeout=30)

    alone["broker_cpu_share"] = cpu_alone / arguments.seconds
    flooded["broker_cpu_share"] = cpu_flooded / arguments.seconds
    refused = alpha["statuses"].get("429", 0)
    alpha["per_second"] = alpha["requests"] / alpha["seconds"]
    alpha["refused_share"] = refused / max(alpha["requests"], 1)
    alpha["admitted_per_second"] = (alpha["requests"] - refused) / alpha["seconds"]
    results = {
        "beta_alone": alone, "beta_while_alpha_floods": flooded, "alpha_flood": alpha,
        "p99_ratio": flooded["p99_ms"] / alone["p99_ms"],
    }
    print(f"{'beta (one request / 50 ms)':<30}{'p50 ms':>9}{'p90 ms':>9}{'p99 ms':>9}{'max ms':>9}{'broker CPU':>12}")
    for label, row in (("alone", alone), ("while alpha floods", flooded)):
        print(f"{label:<30}{row['p50_ms']:>9.2f}{row['p90_ms']:>9.2f}{row['p99_ms']:>9.2f}{row['max_ms']:>9.2f}{row['broker_cpu_share']:>11.0%}")
    print(f"p99 ratio: {results['p99_ratio']:.2f}x (beta's statuses while flooded: {flooded['statuses']})")
    print(f"alpha: {alpha['per_second']:.0f} requests/s on {arguments.flood_connections} connections, "
          f"{alpha['refused_share']:.0%} answered 429, {alpha['admitted_per_second']:.0f}/s admitted; statuses {alpha['statuses']}")
    if arguments.output:
        Path(arguments.output).parent.mkdir(parents=True, exist_ok=True)
        Path(arguments.output).write_text(json.dumps(results, indent=2) + "\n")


if __name__ == "__main__":
    main()
