"""The local platform: start every component on embedded defaults, print URLs, stop cleanly.

Components start in dependency order (broker → data and skill graph → topics and stream
consumers → API → RES and LPS → MLflow UI, then the first champion's training in the
background) as child processes in their own process groups; stopping (Ctrl-C) tears them down
in reverse order.
"""

from __future__ import annotations

import logging
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlparse

from features.importers import import_kt_dataset, is_kt_dataset_imported
from learnloop.console import console
from learnloop.localstack import ManagedProcess, free_port, start_broker
from learnloop.localstack.process import port_open
from learnloop.resources import datasets_dir, ensure_skill_graph, lake_from_settings
from learnloop.settings import Settings
from learnloop.web.security_tls import client_verify, uvicorn_tls_argv

logger = logging.getLogger(__name__)


@dataclass
class LocalStack:
    """Everything ``learnloop up`` runs, on one machine."""

    settings: Settings
    dataset: str | None = "assist2009"
    processes: list[ManagedProcess] = field(default_factory=list)
    urls: dict[str, str] = field(default_factory=dict)
    jobs: list[subprocess.Popen[bytes]] = field(default_factory=list)

    @property
    def workdir(self) -> Path:
        """Folder for logs and runtime state of the local stack."""
        return self.settings.data_dir / "run"

    def start(self) -> None:
        """Start broker, import the demo dataset if needed, start the API; raise on failure."""
        self.workdir.mkdir(parents=True, exist_ok=True)
        try:
            self._start_broker()
            self._prepare_data()
            self._start_ingestion()
            self._start_api()
            self._start_serving()
            self._start_mlflow_ui()
            self._ensure_champion()
        except BaseException:
            self.stop()
            raise

    def _launch(self, process: ManagedProcess) -> None:
        """Start ``process``, registered first so that an interrupted start still stops it."""
        self.processes.append(process)
        process.start()

    def _start_broker(self) -> None:
        kafka = self.settings.kafka
        if not kafka.embedded:
            self.urls["kafka"] = kafka.bootstrap_servers
            return
        port = urlparse(f"//{kafka.bootstrap_servers.split(',')[0]}").port or 9092
        if port_open(port):
            raise RuntimeError(
                f"port {port} is busy: another broker running? stop it or set "
                "LEARNLOOP_KAFKA__BOOTSTRAP_SERVERS / LEARNLOOP_KAFKA__EMBEDDED=false"
            )
        with console.status("starting the Kafka-protocol broker (tansu)"):
            self.processes.append(start_broker(self.workdir, port=port))
        self.urls["kafka"] = f"127.0.0.1:{port}"

    def _prepare_data(self) -> None:
        directory = datasets_dir(self.settings)
        lake = lake_from_settings(self.settings)
        self.urls["lake"] = lake.location.uri
        if self.dataset and not is_kt_dataset_imported(lake, self.dataset):
            with console.status(f"importing {self.dataset} into the lake"):
                report = import_kt_dataset(directory, self.dataset, lake)
            console.print(report.summary())
        with console.status("seeding the skill graph from the content pack's course plans"):
            seeded = ensure_skill_graph(self.settings)
        if seeded is not None:
            console.print(f"skill graph {self.settings.graph_path}: {seeded.summary()}")

    def _start_ingestion(self) -> None:
        """Create the topics, then run the lake sink and the feature consumer (which applies the
        Feast definitions on start) with their Prometheus metrics on free ports."""
        from features.streaming import ensure_topics

        with console.status("creating topics"):
            ensure_topics(self.settings.kafka)
        for name, command in (("lake-sink", "sink"), ("feature-consumer", "features")):
            port = free_port()
            argv = [sys.executable, "-m", "learnloop.cli", "ingest", command]
            process = ManagedProcess(
                name,
                [*argv, "--metrics-port", str(port)],
                port=port,
                log_path=self.workdir / f"{name}.log",
            )
            self._launch(process)
            self.urls[f"{name} metrics"] = f"{self.settings.url_scheme}://127.0.0.1:{port}/metrics"

    def _ensure_champion(self) -> None:
        from pipelines.bootstrap import start_champion_job

        log = self.workdir / "pipeline.log"
        job = start_champion_job(self.settings, log)
        if job is not None:
            self.jobs.append(job)
            self.urls["first champion"] = f"training in the background (~2 min), log: {log}"

    def _start_mlflow_ui(self) -> None:
        from pipelines.bootstrap import mlflow_ui

        process = mlflow_ui(self.settings, self.workdir)
        if process is not None:
            with console.status("starting the MLflow UI"):
                self._launch(process)
            self.urls["mlflow"] = f"http://127.0.0.1:{self.settings.mlflow.ui_port}"

    def _start_api(self) -> None:
        api = self.settings.api
        argv = [
            sys.executable,
            "-m",
            "uvicorn",
            "services.gateway.app:create_app",
            "--factory",
            "--host",
            api.host,
            "--port",
            str(api.port),
            "--no-access-log",
            *uvicorn_tls_argv(self.settings),
        ]
        if port_open(api.port, api.host):
            raise RuntimeError(f"port {api.port} is busy; set LEARNLOOP_API__PORT")
        process = ManagedProcess("api", argv, port=api.port, log_path=self.workdir / "api.log")
        with console.status("starting the API"):
            self._launch(process)
        base = self.settings.api_base_url
        self.urls.update({"api": base, "docs": f"{base}/docs", "health": f"{base}/healthz"})

    def _start_serving(self) -> None:
        """RES (HTTP + gRPC) and LPS (``bentoml serve``), started together, then awaited."""
        from learnloop.commands.serve import serving_process, wait_ready

        serving = self.settings.serving
        wanted = {"res": serving.res_port, "lps": serving.lps_port, "res gRPC": serving.grpc_port}
        for name, port in wanted.items():
            if port_open(port):
                raise RuntimeError(
                    f"{name} port {port} is busy; set LEARNLOOP_SERVING__"
                    + {"res": "RES_PORT", "lps": "LPS_PORT", "res gRPC": "GRPC_PORT"}[name]
                )
        urls = {"res": self.settings.res_url, "lps": self.settings.lps_url}
        verify = client_verify(self.settings)  # https when a certificate is set
        started = []
        with console.status("starting RES and LPS (BentoML; ~40 s)"):
            for name in ("res", "lps"):
                process = serving_process(
                    name,
                    self.settings,
                    port=wanted[name],
                    log_path=self.workdir / f"{name}.log",
                )
                self._launch(process)
                started.append(process)
            for process in started:
                wait_ready(process, urls[process.name], verify=verify)
        self.urls.update(
            {
                "res": f"{urls['res']}/recommendations",
                "res gRPC": self.settings.res_grpc_address,
                "lps": f"{urls['lps']}/paths",
            }
        )

    def wait(self) -> None:
        """Block until Ctrl-C or until a component dies (then raise with its log tail)."""
        while True:
            for process in self.processes:
                if not process.running:
                    raise RuntimeError(f"{process.name} stopped:\n{process.log_tail()}")
            time.sleep(0.5)

    def stop(self) -> None:
        """Stop every component, newest first."""
        from pipelines.bootstrap import stop_job

        for job in self.jobs:
            stop_job(job)
        self.jobs.clear()
        for process in reversed(self.processes):
            process.stop()
        self.processes.clear()
