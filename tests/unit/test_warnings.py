"""A clean test run prints no warning. pyproject.toml's filterwarnings makes a warning that our
own code causes an error; kafka-python is held at 2.3 because every 3.0 release warned 218
times on import (importlib.resources.read_text, deprecated on Python 3.11)."""

import subprocess
import sys
import warnings
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def test_a_warning_our_code_causes_fails_the_test() -> None:
    with pytest.raises(DeprecationWarning, match="old way"):
        warnings.warn("the old way", DeprecationWarning, stacklevel=1)


def test_importing_every_kafka_client_we_use_warns_nothing() -> None:
    # a fresh interpreter: this one may have imported kafka already, and warnings of an
    # import are given once
    code = ("import kafka, kafka.admin, kafka.errors, aiokafka, faust; "
            "from kafka import KafkaProducer, KafkaConsumer, TopicPartition; "
            "from kafka.admin import KafkaAdminClient, NewTopic; "
            "import services.publish, services.kafka_broker, services.sink, services.worker")
    done = subprocess.run([sys.executable, "-W", "error", "-c", code], capture_output=True,
                          text=True, cwd=ROOT, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
